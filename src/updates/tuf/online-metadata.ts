import { createHash } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import type { Signer } from '../../crypto/signer.ts';
import { metadataBytes, parseMetadata } from './metadata-codec.ts';
import type { RootMetadata } from './root-metadata.ts';
import type { Validity } from './targets-metadata.ts';
import { tufKeyFromSpki } from './tuf-keys.ts';
import { tufExpires } from './tuf-time.ts';
import { signWithSigner } from './tuf-signatures.ts';
import { specVersion, type MetaFileInfo, type SignedMetadata, type SnapshotSigned, type TimestampSigned, type TopLevelRole } from './tuf-metadata.types.ts';

export type SnapshotMetadata = SignedMetadata<SnapshotSigned>;
export type TimestampMetadata = SignedMetadata<TimestampSigned>;

/** Signed metadata and the exact bytes to serve (the next role pins these bytes' hash). */
export interface SignedFile<T> {
  readonly metadata: T;
  readonly bytes: Uint8Array;
}

export interface OnlineMetadataPlan extends Validity {
  readonly version: number;
  /** The root in force: the signer's key must be its snapshot (or timestamp) key. */
  readonly root: RootMetadata;
}

/**
 * TUF 4.4: snapshot version N listing targets.json — its version, length and sha256. Length and
 * hash are optional in the spec; we write them because a release can gather signatures on two
 * drafts of the same targets version, and the hash pins which file was published (a mirror
 * cannot swap in the other); the length caps the client's download (TUF 5.6.1). Approval
 * (requireTargetsApproved) is checked by the caller before this step.
 */
export async function buildSnapshot(plan: OnlineMetadataPlan & { readonly targetsBytes: Uint8Array }, signer: Signer): Promise<SignedFile<SnapshotMetadata>> {
  const targets = parseMetadata('targets', plan.targetsBytes);
  const signed: SnapshotSigned = {
    _type: 'snapshot',
    spec_version: specVersion,
    version: checkedVersion(plan.version),
    expires: tufExpires(plan.expires, plan.now, 'snapshot'),
    meta: { 'targets.json': metaFileInfo(targets.signed.version, plan.targetsBytes) },
  };
  return signOnline(signed, plan.root, 'snapshot', signer);
}

/** TUF 4.6: timestamp version N pinning snapshot.json's version, length and sha256 (TUF 5.5.2 checks them). */
export async function buildTimestamp(plan: OnlineMetadataPlan & { readonly snapshotBytes: Uint8Array }, signer: Signer): Promise<SignedFile<TimestampMetadata>> {
  const snapshot = parseMetadata('snapshot', plan.snapshotBytes);
  const signed: TimestampSigned = {
    _type: 'timestamp',
    spec_version: specVersion,
    version: checkedVersion(plan.version),
    expires: tufExpires(plan.expires, plan.now, 'timestamp'),
    meta: { 'snapshot.json': metaFileInfo(snapshot.signed.version, plan.snapshotBytes) },
  };
  return signOnline(signed, plan.root, 'timestamp', signer);
}

function metaFileInfo(version: number, bytes: Uint8Array): MetaFileInfo {
  return { version, length: bytes.byteLength, hashes: { sha256: createHash('sha256').update(bytes).digest('hex') } };
}

async function signOnline<T extends SnapshotSigned | TimestampSigned>(signed: T, root: RootMetadata, roleName: TopLevelRole, signer: Signer): Promise<SignedFile<SignedMetadata<T>>> {
  // Fail closed before signing: a key the root does not name would publish metadata no client accepts.
  const { keyId } = tufKeyFromSpki(signer.spki);
  if (!parseMetadata('root', root).signed.roles[roleName].keyids.includes(keyId)) {
    throw new TrustplaneError('TUF_KEY_NOT_AUTHORISED', `the server's key ${keyId.slice(0, 16)}… is not the root's ${roleName} key`);
  }
  const metadata: SignedMetadata<T> = { signed, signatures: [await signWithSigner(signer, signed)] };
  return { metadata, bytes: metadataBytes(metadata) };
}

function checkedVersion(version: number): number {
  if (!Number.isSafeInteger(version) || version < 1) throw new TrustplaneError('VALIDATION_FAILED', 'a metadata version must be a positive integer');
  return version;
}
