import { TrustplaneError } from '../core/errors.ts';
import { componentPurl, parsePurl, type PurlKey } from './purl-key.ts';

/** An SBOM component as matching reads it; extracted once per release (release_components). */
export interface SbomComponent {
  name: string;
  /** as written in the SBOM */
  purl: string | null;
  /** null: no purl, or one that is not a package URL (tolerant reading only) */
  key: PurlKey | null;
  /** the version matched: the purl's, else the component's `version` */
  version: string | null;
  /** Debian: the purl's `distro` qualifier */
  distro: string | null;
}

export interface SbomComponents {
  components: SbomComponent[];
  /** components without a purl: they cannot be matched against advisories */
  withoutPurl: number;
  /** components whose purl is not a package URL (tolerant reading only) */
  invalidPurl: number;
}

/**
 * The components of a CycloneDX document (attacker-controlled JSON; `components`, nested ones
 * included; metadata.component is the firmware itself, not one of its parts). `strict` (a release
 * being created): a purl that is not a package URL is refused, SBOM_PURL_INVALID naming the
 * component, since it could never be matched. Otherwise (releases made before the register
 * existed) such a component is kept and counted, unmatched.
 */
export function sbomComponents(document: unknown, options: { strict: boolean }): SbomComponents {
  const result: SbomComponents = { components: [], withoutPurl: 0, invalidPurl: 0 };
  const top = isObject(document) ? document.components : undefined;
  const pending: [unknown, string][] = Array.isArray(top) ? top.map((c, i) => [c, `/components/${i}`] as [unknown, string]).reverse() : [];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [c, at] = next;
    if (!isObject(c)) continue;
    const nested = c.components;
    if (Array.isArray(nested)) pending.push(...nested.map((n, i) => [n, `${at}/components/${i}`] as [unknown, string]).reverse());
    result.components.push(component(c, at, options.strict, result));
  }
  return result;
}

function component(c: Record<string, unknown>, at: string, strict: boolean, counts: SbomComponents): SbomComponent {
  const name = typeof c.name === 'string' ? c.name.slice(0, 512) : '';
  const declared = typeof c.version === 'string' ? c.version.slice(0, 256) : null;
  if (typeof c.purl !== 'string' || c.purl === '') {
    counts.withoutPurl++;
    return { name, purl: null, key: null, version: declared, distro: null };
  }
  const parsed = parsePurl(c.purl);
  const read = parsed && componentPurl(parsed);
  if (!read) {
    if (strict) {
      throw new TrustplaneError('SBOM_PURL_INVALID', `the SBOM component ${JSON.stringify(name.slice(0, 80))} at ${at} has purl ${JSON.stringify(c.purl.slice(0, 120))}, not a package URL (pkg:type/namespace/name@version)`, {
        details: { pointer: `${at}/purl` },
      });
    }
    counts.invalidPurl++;
    return { name, purl: c.purl.slice(0, 2048), key: null, version: declared, distro: null };
  }
  return { name, purl: c.purl, key: read.key, version: read.version ?? declared, distro: read.distro ?? null };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
