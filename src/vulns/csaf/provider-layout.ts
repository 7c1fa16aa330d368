import type { CsafProfile, CsafPublisher } from './csaf.types.ts';

/**
 * Where published advisories live: the directory-based distribution of CSAF 2.0 §7.1 (no ROLIE
 * feed), under the well-known path of requirement 9, TLP:WHITE documents only.
 */
export const CSAF_ROOT = '/.well-known/csaf';
export const WHITE_DIRECTORY = `${CSAF_ROOT}/white`;

/**
 * The tracking ID (§3.2.1.12.6): `<sku>-VEX` or `<sku>-SA` for a product's whole register,
 * `<sku>-VEX-<vulnerability id>` for one vulnerability. Both alphabets fit the schema's
 * `^[\S](.*[\S])?$`.
 */
export function trackingIdFor(sku: string, profile: CsafProfile, vulnerabilityId: string | undefined): string {
  const kind = profile === 'csaf_vex' ? 'VEX' : 'SA';
  return vulnerabilityId === undefined ? `${sku}-${kind}` : `${sku}-${kind}-${vulnerabilityId}`;
}

/**
 * §5.1: the tracking ID in lower case, each run of characters other than a-z, 0-9, `+` and `-`
 * replaced by one underscore, `.json` appended. Two tracking IDs can meet in one file name
 * (`GW.1` and `GW_1`); the publish path refuses the second.
 */
export function csafFileName(trackingId: string): string {
  return `${trackingId.toLowerCase().replace(/[^+\-a-z0-9]+/g, '_')}.json`;
}

/** §7.1.11: a document lives in the folder of its initial release year, for good. */
export function csafPath(initialReleaseDate: Date, fileName: string): string {
  return `${initialReleaseDate.getUTCFullYear()}/${fileName}`;
}

export interface PublishedFile {
  /** `<YYYY>/<file name>` */
  path: string;
  currentReleaseDate: Date;
}

/** §7.1.12 index.txt: every document's path, one a line. */
export function indexTxt(files: readonly PublishedFile[]): string {
  return files.map((f) => `${f.path}\n`).sort().join('');
}

/** §7.1.13 changes.csv: path and current_release_date, no heading, the latest first. */
export function changesCsv(files: readonly PublishedFile[]): string {
  return [...files]
    .sort((a, b) => b.currentReleaseDate.getTime() - a.currentReleaseDate.getTime() || a.path.localeCompare(b.path))
    .map((f) => `"${f.path}","${f.currentReleaseDate.toISOString()}"\n`)
    .join('');
}

/** §7.1.18: the hash file starts with the hex digest; the file name follows after spaces. */
export function sha256File(sha256: string, fileName: string): string {
  return `${sha256}  ${fileName}\n`;
}

/**
 * §7.1.7 provider-metadata.json (schema provider_json_schema.json, metadata version 2.0). Role
 * `csaf_provider`: the directory distribution (requirements 11–14) and the well-known URL (9), with
 * hashes (18) but no OpenPGP signatures (19, 20), which a `csaf_trusted_provider` needs.
 */
export function providerMetadata(baseUrl: string, publisher: CsafPublisher, lastUpdated: Date) {
  return {
    canonical_url: `${baseUrl}${CSAF_ROOT}/provider-metadata.json`,
    distributions: [{ directory_url: `${baseUrl}${WHITE_DIRECTORY}/` }],
    last_updated: lastUpdated.toISOString(),
    list_on_CSAF_aggregators: true,
    metadata_version: '2.0',
    mirror_on_CSAF_aggregators: true,
    publisher,
    role: 'csaf_provider',
  } as const;
}
