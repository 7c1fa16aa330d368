import { purlKey, type PurlKey } from './purl-key.ts';
import { debianOrdering, goOrdering, mavenOrdering, pep440Ordering, semverOrdering, type VersionOrdering } from './version-order.ts';

/** An OSV ecosystem trustplane matches: how its names become package URLs and how its versions order. */
export interface Ecosystem {
  /** the OSV ecosystem name (OSV schema, affected[].package.ecosystem, before any `:` suffix) */
  readonly name: string;
  /** ECOSYSTEM ranges; SEMVER ranges always use SemVer 2.0 (with a `v` prefix read for Go) */
  readonly ordering: VersionOrdering;
  /** The purl key of an OSV package name; undefined when the name cannot be one. */
  keyOf(osvName: string): PurlKey | undefined;
}

const ecosystems: readonly Ecosystem[] = [
  // npm names may be scoped: @scope/name
  {
    name: 'npm',
    ordering: semverOrdering,
    keyOf: (n) => {
      const m = /^(@[^/]+)\/(.+)$/.exec(n);
      return m ? purlKey('npm', m[1], m[2]!) : purlKey('npm', undefined, n);
    },
  },
  { name: 'PyPI', ordering: pep440Ordering, keyOf: (n) => purlKey('pypi', undefined, n) },
  // groupId:artifactId
  {
    name: 'Maven',
    ordering: mavenOrdering,
    keyOf: (n) => {
      const m = /^([^:]+):([^:]+)$/.exec(n);
      return m ? purlKey('maven', m[1], m[2]!) : undefined;
    },
  },
  // a module path: github.com/gin-gonic/gin is namespace github.com/gin-gonic, name gin
  {
    name: 'Go',
    ordering: goOrdering,
    keyOf: (n) => {
      const slash = n.lastIndexOf('/');
      return slash <= 0 ? undefined : purlKey('golang', n.slice(0, slash), n.slice(slash + 1));
    },
  },
  { name: 'crates.io', ordering: semverOrdering, keyOf: (n) => purlKey('cargo', undefined, n) },
  // the name of the source package; `Debian:12` scopes it to a release
  { name: 'Debian', ordering: debianOrdering, keyOf: (n) => purlKey('deb', 'debian', n) },
];

/** The ecosystems covered, by OSV name: what docs/design/vulnerabilities.md lists. */
export const coveredEcosystems: readonly string[] = ecosystems.map((e) => e.name);

/** `Debian:12` → Debian with release 12; an ecosystem trustplane does not cover → undefined. */
export function ecosystemOf(osvEcosystem: string): { ecosystem: Ecosystem; release: string | undefined } | undefined {
  const colon = osvEcosystem.indexOf(':');
  const name = colon < 0 ? osvEcosystem : osvEcosystem.slice(0, colon);
  const ecosystem = ecosystems.find((e) => e.name === name);
  if (!ecosystem) return undefined;
  // Maven's suffix is a repository URL, not a release: every Maven package is matched alike.
  const release = colon < 0 || name !== 'Debian' ? undefined : osvEcosystem.slice(colon + 1);
  return { ecosystem, release };
}

const DEBIAN_CODENAMES: Record<string, string> = { buster: '10', bullseye: '11', bookworm: '12', trixie: '13', forky: '14' };

/**
 * Whether a Debian component's `distro` qualifier (debian-12, debian-12.5, bookworm) is the
 * advisory's release (`Debian:12`). Either side unspecified: it applies.
 */
export function debianReleaseApplies(release: string | undefined, distro: string | undefined): boolean {
  if (release === undefined || distro === undefined) return true;
  const d = distro.toLowerCase();
  const number = DEBIAN_CODENAMES[d] ?? /^debian-([0-9]+|sid)(?:\.[0-9]+)*$/.exec(d)?.[1] ?? d;
  return number === release.toLowerCase();
}
