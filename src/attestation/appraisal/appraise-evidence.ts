import type { KeyObject } from 'node:crypto';
import type { ErrorCode } from '../../core/error-catalog.ts';
import { TrustplaneError } from '../../core/errors.ts';
import type { DeviceRecord } from '../../pki/records.types.ts';
import type { ReleaseRecord } from '../../updates/release.types.ts';
import { verifyClaimsToken } from '../claims/claims-token.ts';
import type { DeviceClaims } from '../claims/device-claims.types.ts';
import type { QuoteCounters } from '../attestation-store.types.ts';
import type { Evidence } from '../evidence.ts';
import type { RegisteredAttestationKey, VerifiedTpmQuote } from '../tpm/verify-tpm-quote.ts';
import { verifyTpmQuote } from '../tpm/verify-tpm-quote.ts';

/**
 * EAR / AR4SI trustworthiness claims (draft-ietf-rats-ear §3, draft-ietf-rats-ar4si §2.3.3):
 * 2 affirming, 32 warning, 96 contraindicated. Only the claims the appraisal establishes appear.
 */
export const TIER = { affirming: 2, warning: 32, contraindicated: 96 } as const;
export type TrustworthinessVector = Partial<Record<'instance-identity' | 'executables' | 'configuration' | 'hardware', number>>;

export type AppraisalStatus = 'affirming' | 'warning' | 'contraindicated';

export interface AppraisalInput {
  readonly device: DeviceRecord;
  readonly evidence: Evidence;
  /** the nonce the evidence answers, already consumed by the caller */
  readonly nonce: Uint8Array;
  /** the device's registered AK (a quote is verified with it; none: a quote is refused) */
  readonly attestationKey: RegisteredAttestationKey | undefined;
  /** the key of the device's current certificate (a claims token is verified with it) */
  readonly deviceKey: KeyObject;
  /** the product's firmware releases: the reference values */
  readonly releases: readonly ReleaseRecord[];
  /** the highest security version the device has installed (anti-rollback), if it reported one */
  readonly installedSecurityVersion: number | undefined;
  /** the counters of the last quote the AK verified (none before its first) */
  readonly lastQuoteClock?: QuoteCounters | null | undefined;
  /** the product policy's PCRs a quote must match against the release (none: the release's own) */
  readonly requiredPcrs?: readonly number[];
  /**
   * false when the AK was bound through an EK certificate chain to a TPM manufacturer CA the
   * product no longer trusts (removed since): its quotes are refused
   */
  readonly attestationKeyAnchored?: boolean;
}

export interface Appraisal {
  readonly status: AppraisalStatus;
  /** the code of the failed check; null when not contraindicated */
  readonly reasonCode: ErrorCode | null;
  readonly reason: string | null;
  readonly trustworthiness: TrustworthinessVector;
  readonly release: ReleaseRecord | null;
  /** a verified quote's counters, not behind the last ones: the caller records them for the AK */
  readonly quoteClock?: QuoteCounters;
}

type Verified = { kind: 'tpm2-quote'; quote: VerifiedTpmQuote } | { kind: 'eat-claims'; claims: DeviceClaims };

/** Step 1: the evidence is the device's and answers the nonce (verifyTpmQuote / verifyClaimsToken, each in its order). */
function verifyEvidence(input: AppraisalInput): Verified {
  const e = input.evidence;
  if (e.kind === 'tpm2-quote') {
    if (!input.attestationKey) throw new TrustplaneError('ATTESTATION_KEY_UNKNOWN', 'the device has no registered attestation key');
    // a vendor's CA withdrawn (a flawed TPM series, a compromised CA): the TPMs it vouched for are no longer believed
    if (input.attestationKeyAnchored === false)
      throw new TrustplaneError('EK_CERTIFICATE_UNTRUSTED', "the TPM manufacturer CA this AK's EK certificate chained to is no longer trusted for the product");
    return { kind: 'tpm2-quote', quote: verifyTpmQuote(e, input.nonce, input.attestationKey) };
  }
  const claims = verifyClaimsToken(e.token, input.nonce, input.deviceKey);
  // The token is signed by the device key, but what it says about whom is the device's word: it must name this device.
  if (claims.serial !== input.device.serial) throw new TrustplaneError('ATTESTATION_CLAIMS_DEVICE_MISMATCH', 'the claims name another device');
  return { kind: 'eat-claims', claims };
}

/**
 * Step 1b, quotes: TPMS_CLOCK_INFO's resetCount (TPM Resets, i.e. boots) and restartCount
 * (TPM Restarts/Resumes since the last Reset) only ever grow, in that order of significance
 * (Part 1 §36.6). Signed by the AK, they are the TPM's word once the signature verified; a quote
 * behind the AK's last verified one comes from an older copy of the TPM's state (a restored VM
 * snapshot or swtpm state file) or from another TPM holding the AK — never from this TPM now.
 */
function quoteClockNotBehind(verified: Verified, last: QuoteCounters | null | undefined): QuoteCounters | undefined {
  if (verified.kind !== 'tpm2-quote') return undefined;
  const { resetCount, restartCount } = verified.quote.clockInfo;
  if (last && (resetCount < last.resetCount || (resetCount === last.resetCount && restartCount < last.restartCount)))
    throw new TrustplaneError('QUOTE_CLOCK_ROLLBACK', `resetCount/restartCount ${resetCount}/${restartCount} is behind the last verified ${last.resetCount}/${last.restartCount}`);
  return { resetCount, restartCount };
}

/**
 * Step 2: which release is running — the one whose every reference PCR the quote reports, or whose
 * image digest the claims carry. The same build may be in more than one release (released again
 * under another version after a withdrawal, say): a current one (published, not withdrawn) is
 * preferred to one that is not, then the highest security version, so a withdrawn twin never
 * shadows the release the device may run.
 */
function identifyFirmware(verified: Verified, releases: readonly ReleaseRecord[]): ReleaseRecord {
  const firmware = releases.filter((r) => r.kind === 'firmware');
  const matches =
    verified.kind === 'tpm2-quote'
      ? firmware.filter((r) => r.referenceValues !== null && pcrsMatch(r.referenceValues, verified.quote))
      : firmware.filter((r) => claimedImage(verified.claims) === r.imageSha256 || claimedImage(verified.claims) === r.imageSha512);
  const current = (r: ReleaseRecord): number => (r.state === 'published' && r.withdrawal === null ? 1 : 0);
  const found = matches.sort((a, b) => current(b) - current(a) || b.securityVersion - a.securityVersion)[0];
  if (!found) throw new TrustplaneError('ATTESTATION_FIRMWARE_UNKNOWN', verified.kind === 'tpm2-quote' ? 'the PCR values match no release of the product' : 'the firmware digest is no release of the product');
  return found;
}

function pcrsMatch(reference: NonNullable<ReleaseRecord['referenceValues']>, quote: VerifiedTpmQuote): boolean {
  if (quote.pcrs.alg !== reference.bank) return false;
  return Object.entries(reference.pcrs).every(([index, pcr]) => {
    const reported = quote.pcrs.values.get(Number(index));
    return reported !== undefined && Buffer.from(reported).toString('hex') === pcr.value;
  });
}

function claimedImage(claims: DeviceClaims): string | undefined {
  const d = claims.firmwareDigest;
  return d.alg === 'sha256' || d.alg === 'sha512' ? Buffer.from(d.value).toString('hex') : undefined;
}

/**
 * Step 2b, quotes: the product's policy names the PCRs that must be appraised (say 0, 2, 4 and 7:
 * firmware, option ROMs, boot loader, Secure Boot state). The release found matched every PCR it
 * has a reference value for; a required PCR it has none for was not appraised, so a change there —
 * another boot loader, Secure Boot off — would go unseen: the evidence cannot be affirmed.
 */
function requiredPcrsAppraised(verified: Verified, release: ReleaseRecord, required: readonly number[]): void {
  if (verified.kind !== 'tpm2-quote' || required.length === 0) return;
  const referenced = new Set(Object.keys(release.referenceValues?.pcrs ?? {}).map(Number));
  const missing = required.filter((i) => !referenced.has(i));
  if (missing.length > 0)
    throw new TrustplaneError('ATTESTATION_FIRMWARE_PCR_UNREFERENCED', `the product's policy requires PCR ${missing.join(', ')}, for which release ${release.version} carries no reference value`);
}

/** Step 3: released — published and not withdrawn (DESIGN rule 7: a withdrawal stands until a person acts). */
function releaseIsCurrent(release: ReleaseRecord): void {
  if (release.state === 'withdrawn' || release.withdrawal !== null) throw new TrustplaneError('ATTESTATION_FIRMWARE_WITHDRAWN', `release ${release.version} is withdrawn`);
  if (release.state !== 'published') throw new TrustplaneError('ATTESTATION_FIRMWARE_NOT_PUBLISHED', `release ${release.version} is not published`);
}

/** Step 4: anti-rollback — not below the highest security version the device installed. */
function notRolledBack(release: ReleaseRecord, installed: number | undefined): void {
  if (installed !== undefined && release.securityVersion < installed)
    throw new TrustplaneError('ATTESTATION_FIRMWARE_ROLLBACK', `security version ${release.securityVersion} is below the installed ${installed}`);
}

/**
 * Step 5, claims only: the security version the running firmware carries is the release's, and not
 * below what the device installed. The quote path has no such claim: the PCRs identify the build,
 * whose security version is the release's by construction.
 */
function claimedSecurityVersion(verified: Verified, release: ReleaseRecord, installed: number | undefined): void {
  if (verified.kind !== 'eat-claims') return;
  const claimed = verified.claims.securityVersion;
  if (installed !== undefined && claimed < installed)
    throw new TrustplaneError('ATTESTATION_FIRMWARE_ROLLBACK', `the claimed security version ${claimed} is below the installed ${installed}`);
  if (claimed !== release.securityVersion)
    throw new TrustplaneError('ATTESTATION_SECURITY_VERSION_MISMATCH', `the claimed security version ${claimed} is not release ${release.version}'s ${release.securityVersion}`);
}

/**
 * Step 6, claims only: the configuration. A firmware release carries no configuration digest; the
 * product's configuration releases (kind `config`) are the reference values: when the product has
 * any, the claimed configuration digest must be the image of one that is published and not
 * withdrawn. A product with no configuration releases has nothing to compare it with: the result
 * then says nothing about configuration (no `configuration` claim in the vector), never "affirming".
 */
function configurationIsReleased(verified: Verified, releases: readonly ReleaseRecord[]): boolean {
  if (verified.kind !== 'eat-claims') return false;
  const configs = releases.filter((r) => r.kind === 'config');
  if (configs.length === 0) return false;
  const d = verified.claims.configurationDigest;
  const claimed = d.alg === 'sha256' || d.alg === 'sha512' ? Buffer.from(d.value).toString('hex') : undefined;
  const found = configs.find((r) => claimed !== undefined && (claimed === r.imageSha256 || claimed === r.imageSha512));
  if (!found) throw new TrustplaneError('ATTESTATION_CONFIGURATION_UNKNOWN', 'the configuration digest is no configuration release of the product');
  if (found.state === 'withdrawn' || found.withdrawal !== null) throw new TrustplaneError('ATTESTATION_CONFIGURATION_WITHDRAWN', `configuration release ${found.version} is withdrawn`);
  if (found.state !== 'published') throw new TrustplaneError('ATTESTATION_CONFIGURATION_UNKNOWN', `configuration release ${found.version} is not published`);
  return true;
}

/** Which trustworthiness claim a refusal contraindicates. */
function failedClaim(code: ErrorCode): keyof TrustworthinessVector {
  if (code.startsWith('ATTESTATION_CONFIGURATION_')) return 'configuration';
  if (code === 'QUOTE_CLOCK_ROLLBACK') return 'hardware';
  return code.startsWith('ATTESTATION_FIRMWARE_') || code === 'ATTESTATION_SECURITY_VERSION_MISMATCH' ? 'executables' : 'instance-identity';
}

/**
 * The appraisal policy as a list of named steps (docs/design/attestation.md, "Appraisal"): the
 * first failing step makes the result contraindicated with its code. A verified quote whose PCRs
 * match a current release is affirming; claims, a software attester's word, are at most a warning.
 * Pure: the caller brings the evidence, the consumed nonce and the trust material as values.
 */
export function appraiseEvidence(input: AppraisalInput): Appraisal {
  let release: ReleaseRecord | null = null;
  let quoteClock: QuoteCounters | undefined;
  try {
    const verified = verifyEvidence(input);
    quoteClock = quoteClockNotBehind(verified, input.lastQuoteClock);
    release = identifyFirmware(verified, input.releases);
    requiredPcrsAppraised(verified, release, input.requiredPcrs ?? []);
    releaseIsCurrent(release);
    notRolledBack(release, input.installedSecurityVersion);
    claimedSecurityVersion(verified, release, input.installedSecurityVersion);
    const configuration = configurationIsReleased(verified, input.releases);
    // TPMS_CLOCK_INFO.safe = NO: the TPM's clock may have been reported ahead of what it saved, so
    // after a power loss its clock could repeat values (Part 2 §10.11.1): a warning on the hardware.
    const clockSafe = verified.kind !== 'tpm2-quote' || verified.quote.clockInfo.safe;
    return verified.kind === 'tpm2-quote'
      ? { status: clockSafe ? 'affirming' : 'warning', reasonCode: null, reason: null, release, ...(quoteClock ? { quoteClock } : {}), trustworthiness: { 'instance-identity': TIER.affirming, hardware: clockSafe ? TIER.affirming : TIER.warning, executables: TIER.affirming } }
      : { status: 'warning', reasonCode: null, reason: null, release, trustworthiness: { 'instance-identity': TIER.affirming, executables: TIER.warning, ...(configuration ? { configuration: TIER.warning } : {}) } };
  } catch (e) {
    if (!(e instanceof TrustplaneError) || e.status !== 422) throw e;
    return { status: 'contraindicated', reasonCode: e.code, reason: e.message, release, ...(quoteClock ? { quoteClock } : {}), trustworthiness: { [failedClaim(e.code)]: TIER.contraindicated } };
  }
}

/** A refusal as the result records it, for checks that run before appraisal (the nonce). */
export function refusedAppraisal(e: TrustplaneError): Appraisal {
  return { status: 'contraindicated', reasonCode: e.code, reason: e.message, release: null, trustworthiness: { [failedClaim(e.code)]: TIER.contraindicated } };
}
