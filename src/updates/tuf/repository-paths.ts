import { checkTargetName } from './target-file.ts';

/**
 * TUF 6.2 consistent snapshots: where each file is served under /tuf/<sku>/. Versioned
 * metadata and hash-prefixed targets are written once and never change; only timestamp.json
 * is rewritten in place (TUF 5.4: the client always fetches it by that name).
 */
export function metadataPath(role: 'root' | 'snapshot' | 'targets', version: number): string {
  return `metadata/${version}.${role}.json`;
}

export const timestampPath = 'metadata/timestamp.json';

/** The URL path tuf-js downloads a target from: the first hash (sha256) before the file's base name. */
export function targetPath(name: string, sha256: string): string {
  const segments = checkTargetName(name).split('/');
  const base = segments.pop() ?? name;
  return ['targets', ...segments, `${sha256}.${base}`].join('/');
}
