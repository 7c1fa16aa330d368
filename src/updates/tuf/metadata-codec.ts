import { Metadata, MetadataKind } from '@tufjs/models';
import { TrustplaneError } from '../../core/errors.ts';
import { canonicalBytes, metadataFileJson } from './canonical-json.ts';
import { publicKeyOfTufKey, tufKeyId } from './tuf-keys.ts';
import type { AnySigned, RootSigned, SignedMetadata, SnapshotSigned, TargetsSigned, TimestampSigned } from './tuf-metadata.types.ts';

interface KindOf {
  root: RootSigned;
  targets: TargetsSigned;
  snapshot: SnapshotSigned;
  timestamp: TimestampSigned;
}
export type MetadataKindName = keyof KindOf;

/** Size limits on metadata read back or uploaded: tuf-js's own client limits (config.ts defaults). */
export const maxMetadataBytes: Readonly<Record<MetadataKindName, number>> = {
  root: 512_000,
  targets: 5_000_000,
  snapshot: 2_000_000,
  timestamp: 16_384,
};

// One overload per kind in its typings; the checks are the same call.
const fromJson = Metadata.fromJSON.bind(Metadata) as (type: MetadataKind, data: Record<string, unknown>) => unknown;

const kinds: Readonly<Record<MetadataKindName, MetadataKind>> = {
  root: MetadataKind.Root,
  targets: MetadataKind.Targets,
  snapshot: MetadataKind.Snapshot,
  timestamp: MetadataKind.Timestamp,
};

/** The file as served: JSON with sorted keys, so the same metadata always hashes the same (snapshot and timestamp pin hashes). */
export function metadataBytes(metadata: SignedMetadata<AnySigned>): Uint8Array {
  return metadataFileJson(metadata);
}

/** The file as served and stored, as text. */
export function metadataText(metadata: SignedMetadata<AnySigned>): string {
  return Buffer.from(metadataBytes(metadata)).toString('utf8');
}

/**
 * Reads metadata of `kind` from bytes (attacker-controlled when uploaded; at most
 * maxMetadataBytes[kind]) or checks an object already in hand. The shape is checked by
 * @tufjs/models — the parser the devices' client runs — so we accept what it accepts, and no more:
 * root keys must also be keys we can verify, under their true key ids (TUF 4.2).
 */
export function parseMetadata<K extends MetadataKindName>(kind: K, input: Uint8Array | SignedMetadata<KindOf[K]>): SignedMetadata<KindOf[K]> {
  const value = input instanceof Uint8Array ? parseJson(kind, input) : input;
  try {
    fromJson(kinds[kind], structuredClone(value) as Record<string, unknown>);
  } catch (cause) {
    throw new TrustplaneError('TUF_METADATA_MALFORMED', `not valid ${kind} metadata: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const metadata = value as SignedMetadata<KindOf[K]>;
  canonicalBytes(metadata.signed); // refuses what canonical JSON cannot carry (floats, lone surrogates)
  if (kind === 'root') checkRootKeys(metadata.signed as RootSigned);
  return metadata;
}

function parseJson(kind: MetadataKindName, bytes: Uint8Array): unknown {
  if (bytes.byteLength > maxMetadataBytes[kind]) throw new TrustplaneError('TUF_METADATA_MALFORMED', `${kind} metadata is larger than ${maxMetadataBytes[kind]} bytes`);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new TrustplaneError('TUF_METADATA_MALFORMED', `${kind} metadata is not UTF-8 JSON`, { cause });
  }
}

function checkRootKeys(root: RootSigned): void {
  for (const [keyId, key] of Object.entries(root.keys)) {
    publicKeyOfTufKey(key);
    if (tufKeyId(key) !== keyId) throw new TrustplaneError('TUF_METADATA_MALFORMED', `root key ${keyId.slice(0, 16)}… is listed under an id that is not its own`);
  }
}
