import { TrustplaneError } from '../../core/errors.ts';
import { parseMetadata } from './metadata-codec.ts';
import type { RootMetadata } from './root-metadata.ts';
import { checkedTargetFileInfo, checkTargetName } from './target-file.ts';
import { tufExpires } from './tuf-time.ts';
import { requireThreshold, signingBytes, thresholdStatus, withCheckedSignature } from './tuf-signatures.ts';
import { specVersion, type SignedMetadata, type TargetFileInfo, type TargetsSigned, type ThresholdStatus, type TufSignature } from './tuf-metadata.types.ts';

export type TargetsMetadata = SignedMetadata<TargetsSigned>;

/** When the next version expires, and the reference time it must lie after. */
export interface Validity {
  readonly expires: Date;
  readonly now: Date;
}

/** Targets version 1 of a new product: no releases yet (TUF 4.5 allows an empty TARGETS). */
export function initialTargets(validity: Validity): TargetsMetadata {
  return { signed: targetsSigned(1, {}, validity), signatures: [] };
}

/**
 * The next targets version with one more target: a draft, unsigned, for the release managers.
 * A published name is never overwritten: a new image is a new name (TUF 6.2 writes targets once).
 * `without`: withdrawn targets the next version leaves out (names no longer there are ignored).
 */
export function nextTargetsWithRelease(current: Uint8Array | TargetsMetadata, name: string, info: TargetFileInfo, validity: Validity, without: readonly string[] = []): TargetsMetadata {
  const { signed } = parseMetadata('targets', current);
  if (Object.hasOwn(signed.targets, checkTargetName(name))) throw new TrustplaneError('TUF_TARGET_EXISTS', `target ${name} is already published`);
  const kept = Object.fromEntries(Object.entries(signed.targets).filter(([n]) => !without.includes(n)));
  const targets = { ...kept, [name]: checkedTargetFileInfo(info) };
  return { signed: targetsSigned(signed.version + 1, targets, validity), signatures: [] };
}

/** The next targets version with the same targets (less the withdrawn ones) and a fresh expiry: re-signed by the release managers. */
export function nextTargetsResigned(current: Uint8Array | TargetsMetadata, validity: Validity, without: readonly string[] = []): TargetsMetadata {
  const { signed } = parseMetadata('targets', current);
  const kept = Object.fromEntries(Object.entries(signed.targets).filter(([n]) => !without.includes(n)));
  return { signed: targetsSigned(signed.version + 1, kept, validity), signatures: [] };
}

/** The next targets version without a withdrawn target: devices stop being offered it once it is published. */
export function nextTargetsWithout(current: Uint8Array | TargetsMetadata, name: string, validity: Validity): TargetsMetadata {
  const { signed } = parseMetadata('targets', current);
  if (!Object.hasOwn(signed.targets, name)) throw new TrustplaneError('TUF_TARGET_NOT_FOUND', `target ${name} is not in targets version ${signed.version}`);
  const targets = Object.fromEntries(Object.entries(signed.targets).filter(([n]) => n !== name));
  return { signed: targetsSigned(signed.version + 1, targets, validity), signatures: [] };
}

/** The bytes a release manager signs on their own machine (TUF 4.1: canonical JSON of `signed`). */
export function targetsSigningBytes(targets: Uint8Array | TargetsMetadata): Uint8Array {
  return signingBytes(parseMetadata('targets', targets).signed);
}

/** Adds a release manager's signature, checked against the current root's targets keys. */
export function addTargetsSignature(targets: Uint8Array | TargetsMetadata, signature: TufSignature, root: RootMetadata): TargetsMetadata {
  const draft = parseMetadata('targets', targets);
  const { signed } = parseMetadata('root', root);
  return withCheckedSignature(draft, signature, [{ role: signed.roles.targets, keys: signed.keys }], 'targets');
}

/** TUF 5.6.3: how many of the root's targets keys have signed. */
export function targetsSignatureStatus(targets: Uint8Array | TargetsMetadata, root: RootMetadata): ThresholdStatus {
  const { signed } = parseMetadata('root', root);
  return thresholdStatus(signed.roles.targets, signed.keys, parseMetadata('targets', targets));
}

/** Fails closed unless m of the release managers signed: the gate before a snapshot lists this version. */
export function requireTargetsApproved(targets: Uint8Array | TargetsMetadata, root: RootMetadata): TargetsMetadata {
  requireThreshold(targetsSignatureStatus(targets, root), 'targets');
  return parseMetadata('targets', targets);
}

function targetsSigned(version: number, targets: Record<string, TargetFileInfo>, { expires, now }: Validity): TargetsSigned {
  return { _type: 'targets', spec_version: specVersion, version, expires: tufExpires(expires, now, 'targets'), targets };
}
