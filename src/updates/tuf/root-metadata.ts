import { TrustplaneError } from '../../core/errors.ts';
import { parseMetadata } from './metadata-codec.ts';
import { tufExpires } from './tuf-time.ts';
import { tufKeyFromSpki, type IdentifiedTufKey } from './tuf-keys.ts';
import { requireThreshold, thresholdStatus, withCheckedSignature } from './tuf-signatures.ts';
import { specVersion, type RootSigned, type SignedMetadata, type ThresholdStatus, type TopLevelRole, type TufKey, type TufRole, type TufSignature } from './tuf-metadata.types.ts';

export type RootMetadata = SignedMetadata<RootSigned>;

/** Who may sign each role, as DER SPKIs of their public keys, and how many must. */
export interface RootPlan {
  readonly version: number;
  readonly expires: Date;
  /** The reference time: the expiry must lie after it. */
  readonly now: Date;
  /** The product security officers' keys (offline). */
  readonly root: RolePlan;
  /** The release managers' keys (offline; they sign on their own machines). */
  readonly targets: RolePlan;
  /** The server's online keys (Signer port): threshold 1, re-signed by the server. */
  readonly snapshot: { readonly keys: readonly Uint8Array[] };
  readonly timestamp: { readonly keys: readonly Uint8Array[] };
}

export interface RolePlan {
  readonly keys: readonly Uint8Array[];
  readonly threshold: number;
}

/**
 * Root version N (TUF 4.3), unsigned: the officers sign `signingBytes(root.signed)` offline.
 * consistent_snapshot is always true (TUF 6.2): files are written once under their version or
 * hash, so a client never reads a half-published repository.
 */
export function buildRoot(plan: RootPlan): RootMetadata {
  if (!Number.isSafeInteger(plan.version) || plan.version < 1) throw new TrustplaneError('VALIDATION_FAILED', 'root version must be a positive integer');
  const keys: Record<string, TufKey> = {};
  const role = (name: TopLevelRole, spkis: readonly Uint8Array[], threshold: number): TufRole => {
    const identified = spkis.map(tufKeyFromSpki);
    const keyids = [...new Set(identified.map((k) => k.keyId))].sort();
    if (keyids.length !== spkis.length) throw new TrustplaneError('VALIDATION_FAILED', `the ${name} role lists a key twice`);
    if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > keyids.length) {
      throw new TrustplaneError('VALIDATION_FAILED', `the ${name} threshold must lie between 1 and its ${keyids.length} keys`);
    }
    for (const { keyId, key } of identified) keys[keyId] = key;
    return { keyids, threshold };
  };
  const roles = {
    root: role('root', plan.root.keys, plan.root.threshold),
    targets: role('targets', plan.targets.keys, plan.targets.threshold),
    snapshot: role('snapshot', plan.snapshot.keys, 1),
    timestamp: role('timestamp', plan.timestamp.keys, 1),
  };
  refuseOnlineKeysInOfflineRoles(roles);
  const signed: RootSigned = {
    _type: 'root',
    spec_version: specVersion,
    version: plan.version,
    expires: tufExpires(plan.expires, plan.now, 'root'),
    consistent_snapshot: true,
    keys,
    roles,
  };
  return { signed, signatures: [] };
}

/** The root's keys of one role, as TUF key objects (for the CLI to show who signs). */
export function rootRoleKeys(root: RootMetadata, roleName: TopLevelRole): IdentifiedTufKey[] {
  return root.signed.roles[roleName].keyids.flatMap((keyId) => {
    const key = root.signed.keys[keyId];
    return key === undefined ? [] : [{ keyId, key }];
  });
}

/**
 * Adds an officer's signature after checking that it verifies with a root key — of this root,
 * or, for a rotation, of the previous one (TUF 5.3.4 asks both thresholds).
 */
export function addRootSignature(root: Uint8Array | RootMetadata, signature: TufSignature, previousRoot?: Uint8Array | RootMetadata): RootMetadata {
  const next = parseMetadata('root', root);
  const signers = [{ role: next.signed.roles.root, keys: next.signed.keys }];
  if (previousRoot !== undefined) {
    const previous = parseMetadata('root', previousRoot);
    requireFollows(next, previous);
    signers.push({ role: previous.signed.roles.root, keys: previous.signed.keys });
  }
  return withCheckedSignature(next, signature, signers, 'root');
}

export interface RootSignatureStatus {
  /** TUF 5.3.4 (2): the new root's own root threshold. */
  readonly own: ThresholdStatus;
  /** TUF 5.3.4 (1): the trusted (previous) root's threshold; absent for root version 1. */
  readonly previous?: ThresholdStatus;
  /** Both thresholds met: the root may be published. */
  readonly complete: boolean;
}

/** Which thresholds the signatures on `newRoot` meet (TUF 5.3.4). */
export function rootSignatureStatus(newRoot: Uint8Array | RootMetadata, previousRoot?: Uint8Array | RootMetadata): RootSignatureStatus {
  const next = parseMetadata('root', newRoot);
  const own = thresholdStatus(next.signed.roles.root, next.signed.keys, next);
  if (previousRoot === undefined) return { own, complete: own.met };
  const trusted = parseMetadata('root', previousRoot);
  requireFollows(next, trusted);
  const previous = thresholdStatus(trusted.signed.roles.root, trusted.signed.keys, next);
  return { own, previous, complete: own.met && previous.met };
}

/** Fails closed unless the root may be published: both thresholds of TUF 5.3.4. */
export function requireRootPublishable(newRoot: Uint8Array | RootMetadata, previousRoot?: Uint8Array | RootMetadata): RootMetadata {
  const status = rootSignatureStatus(newRoot, previousRoot);
  requireThreshold(status.own, 'root (new keys)');
  if (status.previous !== undefined) requireThreshold(status.previous, 'root (previous keys)');
  return parseMetadata('root', newRoot);
}

// TUF 5.3.5: a client accepts root N+1 only after N; anything else is a rollback or a gap.
function requireFollows(next: RootMetadata, previous: RootMetadata): void {
  if (next.signed.version !== previous.signed.version + 1) {
    throw new TrustplaneError('TUF_VERSION_CONFLICT', `root version ${next.signed.version} does not follow version ${previous.signed.version}`);
  }
}

// An online key in root or targets would let whoever holds the server sign a release or a new root.
function refuseOnlineKeysInOfflineRoles(roles: Record<TopLevelRole, TufRole>): void {
  const offline = new Set([...roles.root.keyids, ...roles.targets.keyids]);
  if ([...roles.snapshot.keyids, ...roles.timestamp.keyids].some((id) => offline.has(id))) {
    throw new TrustplaneError('VALIDATION_FAILED', 'an online (snapshot or timestamp) key must not also be a root or targets key');
  }
}
