import { PackageURL } from 'packageurl-js';

/**
 * What identifies a package across an SBOM and an advisory: the package URL without version,
 * qualifiers or subpath (`pkg:npm/%40babel/core`), as packageurl-js normalises it for its type.
 */
export type PurlKey = string;

/** A component's package URL as matching reads it. */
export interface ComponentPurl {
  key: PurlKey;
  /** the version to compare: the purl's (or, for a Debian binary package, its source package's) */
  version: string | undefined;
  /** Debian: the `distro` qualifier (debian-12, bookworm), when given */
  distro: string | undefined;
}

/** Parses a package URL (attacker-controlled, from an SBOM); undefined when it is not one. */
export function parsePurl(text: string): PackageURL | undefined {
  if (text.length > 2048) return undefined;
  try {
    return PackageURL.fromString(text);
  } catch {
    return undefined;
  }
}

export function purlKey(type: string, namespace: string | undefined, name: string): PurlKey | undefined {
  try {
    const normalisedName = type === 'pypi' ? pep503(name) : name;
    return new PackageURL(type, namespace, normalisedName, undefined, undefined, undefined).toString();
  } catch {
    return undefined;
  }
}

/**
 * The key and version of an SBOM component's purl. A Debian binary package (libssl3) is matched
 * by its source package (openssl), which Debian's advisories name: the purl's `upstream`
 * qualifier (`openssl` or `openssl@3.0.11-1`, as syft writes it), when present.
 */
export function componentPurl(purl: PackageURL): ComponentPurl | undefined {
  const q = purl.qualifiers ?? {};
  if (purl.type === 'deb' && typeof q.upstream === 'string' && q.upstream !== '') {
    const [source = '', sourceVersion] = q.upstream.split('@');
    const key = purlKey('deb', purl.namespace ?? undefined, source);
    return key === undefined ? undefined : { key, version: sourceVersion ?? purl.version ?? undefined, distro: q.distro };
  }
  const key = purlKey(purl.type, purl.namespace ?? undefined, purl.name);
  return key === undefined ? undefined : { key, version: purl.version ?? undefined, distro: purl.type === 'deb' ? q.distro : undefined };
}

/** PEP 503: PyPI names compare lowercased, runs of `-`, `_` and `.` as one `-`. */
function pep503(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}
