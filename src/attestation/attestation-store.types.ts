import type { Clock } from '../core/clock.ts';
import type { Random } from '../core/random.ts';
import type { Signer } from '../crypto/signer.ts';
import type { IdentityContext } from '../pki/identity-context.ts';
import type { IdentityUnitOfWork } from '../pki/identity-store.types.ts';

/** A challenge: 32 random bytes bound to the device that asked, single-use, short-lived (migration 0019). */
export interface AttestationNonceRecord {
  readonly nonce: Uint8Array;
  readonly deviceId: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
}

/**
 * A device's TPM attestation key, pending (its credential-activation challenge outstanding) until
 * `activatedAt`; only an activated key is bound to the device.
 */
export interface AttestationKeyRecord {
  readonly id: string;
  readonly deviceId: string;
  /** TPM 2.0 Part 1 §16: nameAlg ‖ H(TPMT_PUBLIC) of the AK */
  readonly akName: Uint8Array;
  /** TPM2B_PUBLIC */
  readonly akPublic: Uint8Array;
  readonly ekPublic: Uint8Array;
  readonly ekCertificate: Uint8Array | null;
  /** SHA-256 of the credential made for the activation challenge */
  readonly credentialDigest: Uint8Array;
  readonly challengeExpiresAt: Date;
  readonly activatedAt: Date | null;
  readonly registeredAt: Date;
  readonly retiredAt: Date | null;
  /** TPMS_CLOCK_INFO resetCount and restartCount of the last quote this AK verified; null before the first */
  readonly lastQuoteClock: QuoteCounters | null;
  /** What was checked of the EK certificate at registration (keys from before migration 0021: `none` or `key-checked`). */
  readonly ekCertificateCheck: EkCertificateCheck;
  /** With `chain-verified`: the SHA-256 fingerprint of the product's manufacturer CA the chain reached. */
  readonly ekManufacturerCa: Uint8Array | null;
}

/**
 * How far an AK's EK is known to be a genuine TPM's (docs/design/attestation.md): no certificate;
 * a certificate for the EK's key, its issuer not checked (the product trusts no manufacturer CA);
 * a certificate chaining to one of the product's trusted TPM manufacturer CAs.
 */
export type EkCertificateCheck = 'none' | 'key-checked' | 'chain-verified';

/** A TPM manufacturer CA a product trusts for EK certificates (migration 0021); `removedAt` once removed. */
export interface ManufacturerCaRecord {
  readonly productId: string;
  /** SHA-256 of the certificate's DER */
  readonly fingerprintSha256: Uint8Array;
  readonly certificate: Uint8Array;
  readonly subject: string;
  readonly notAfter: Date;
  readonly addedBy: string;
  readonly addedAt: Date;
  readonly removedBy: string | null;
  readonly removedAt: Date | null;
}

/** The TPM's boot counters a quote reports (TPM 2.0 Part 2 §10.11.1). */
export interface QuoteCounters {
  readonly resetCount: number;
  readonly restartCount: number;
}

/** An appraisal as stored (migration 0019 attestation_results): EAR status, the failed check's code, when it lapses. */
export interface AttestationResultRecord {
  readonly id: string;
  readonly deviceId: string;
  readonly evidenceKind: 'tpm2-quote' | 'eat-claims';
  readonly status: 'affirming' | 'warning' | 'contraindicated';
  readonly reasonCode: string | null;
  readonly trustworthiness: Readonly<Record<string, number>>;
  readonly releaseId: string | null;
  readonly attestationKeyId: string | null;
  readonly appraisedAt: Date;
  readonly expiresAt: Date;
  /** the verifier-signed result (EAR), once results are signed */
  readonly signedResult: string | null;
  /** the verifier key that signed it (its JWT's `kid`) */
  readonly signedBy: string | null;
}

/**
 * A verifier key (docs/design/attestation.md "Verifier keys"): the current one signs results; a
 * retired one names its successor and stays published while a result it signed is unexpired.
 */
export interface VerifierKeyRecord {
  readonly keyId: string;
  readonly createdAt: Date;
  readonly retiredAt: Date | null;
  readonly successorKeyId: string | null;
  /** the latest expiry of the results it signed; null when it signed none */
  readonly lastResultExpiresAt: Date | null;
  /** its public key, SubjectPublicKeyInfo DER */
  readonly spki: Uint8Array;
}

/** A product's attestation policy: what a failed appraisal does beyond its record. */
export interface AttestationPolicy {
  /** suspend the device (certificate on hold) when an appraisal fails; an operator reinstates */
  readonly suspendOnFailure: boolean;
  /**
   * PCRs a quote must match against the release's reference values, ascending: a release that
   * carries no reference value for one of them cannot be affirmed. Empty: the release's own.
   */
  readonly requiredPcrs: readonly number[];
}

export const defaultAttestationPolicy: AttestationPolicy = Object.freeze({ suspendOnFailure: false, requiredPcrs: Object.freeze([]) });

export interface AttestationPolicyRecord extends AttestationPolicy {
  readonly productId: string;
  readonly setBy: string;
  readonly setAt: Date;
}

/** How many nonces a device may be issued in a window: at most `max` created after `since`. */
export interface NonceRate {
  readonly since: Date;
  readonly max: number;
}

/** A nonce stored, or refused for the rate: `oldest`, the first of the window's, leaves it first. */
export type NonceIssue = { readonly issued: true } | { readonly issued: false; readonly oldest: Date };

/** What spent a nonce: the digest of the evidence (evidenceDigest) and the id of the result it was given. */
export interface NonceSpend {
  readonly evidenceSha256: Uint8Array;
  readonly resultId: string;
}

/**
 * What became of a nonce answered with evidence; only `consumed` lets the evidence through. A
 * `used` nonce says what spent it (undefined for a nonce spent before migration 0028).
 */
export type NonceConsumption = { readonly outcome: 'consumed' | 'unknown' | 'expired' } | { readonly outcome: 'used'; readonly spentBy: NonceSpend | undefined };

/** The attestation capability's storage port (store/attestation-repository.ts implements it). */
export interface AttestationStore {
  /**
   * Stores a fresh nonce, unless the device was issued `rate.max` nonces since `rate.since` (spent
   * or not; the answer then names the oldest of them); the device's outstanding (unused,
   * unexpired) nonces beyond the newest `keepOutstanding` (this one included) are deleted, so a
   * device asking without end holds few.
   */
  insertNonce(nonce: AttestationNonceRecord, keepOutstanding: number, rate: NonceRate): Promise<NonceIssue>;
  /**
   * The PCRs the verifier appraises for the product, ascending: the policy's `requiredPcrs` and
   * every PCR a published firmware release has a reference value for (what a quote should select).
   */
  appraisedPcrs(productId: string): Promise<number[]>;
  /** Deletes the nonces that expired at or before `cutoff`; how many. */
  purgeNonces(cutoff: Date): Promise<number>;
  findNonce(nonce: Uint8Array): Promise<AttestationNonceRecord | undefined>;
  findKey(deviceId: string, id: string): Promise<AttestationKeyRecord | undefined>;
  /** The device's activated, unretired AK. */
  currentKey(deviceId: string): Promise<AttestationKeyRecord | undefined>;
  /** The activated AK (retired or not) with this Name, on any device. */
  findBoundKey(akName: Uint8Array): Promise<AttestationKeyRecord | undefined>;
  /** The current verifier key's id, if one was made. */
  currentVerifierKeyId(): Promise<string | undefined>;
  /** Records `keyId` as the current verifier key unless there is one already; the current one's id. */
  claimVerifierKey(keyId: string, at: Date): Promise<string>;
  /** Every verifier key: the current one, then the retired ones, the latest retired first. */
  verifierKeys(): Promise<VerifierKeyRecord[]>;
  findVerifierKey(keyId: string): Promise<VerifierKeyRecord | undefined>;
  findPolicy(productId: string): Promise<AttestationPolicyRecord | undefined>;
  /** The product's trusted TPM manufacturer CAs (not removed), oldest first. */
  listManufacturerCas(productId: string): Promise<ManufacturerCaRecord[]>;
  /** The device's latest appraisal. */
  latestResult(deviceId: string): Promise<AttestationResultRecord | undefined>;
  /** A new pending registration; the device's earlier pending ones are dropped (one challenge outstanding). */
  insertPendingKey(key: AttestationKeyRecord): Promise<void>;
  unitOfWork<T>(fn: (uow: AttestationUnitOfWork) => Promise<T>, options?: { at?: Date }): Promise<T>;
}

/** The identity unit of work (device lifecycle, events) plus the verifier's writes, in one transaction. */
export interface AttestationUnitOfWork extends IdentityUnitOfWork {
  /**
   * Marks the nonce used by `spend` if it is this device's, unused and unexpired at `at`: one
   * conditional update, so two requests with one nonce cannot both pass. Otherwise says why not.
   */
  consumeNonce(nonce: Uint8Array, deviceId: string, at: Date, spend: NonceSpend): Promise<NonceConsumption>;
  /** The device's result with this id. */
  findResult(deviceId: string, id: string): Promise<AttestationResultRecord | undefined>;
  /** The key, locked; undefined when the device has none of this id. */
  lockKey(deviceId: string, id: string): Promise<AttestationKeyRecord | undefined>;
  /** The activated AK with this Name, on any device, locked. */
  lockBoundKey(akName: Uint8Array): Promise<AttestationKeyRecord | undefined>;
  /** The device's activated, unretired AK. */
  currentKey(deviceId: string): Promise<AttestationKeyRecord | undefined>;
  insertResult(result: AttestationResultRecord): Promise<void>;
  /** The product's stored policy, locked (none: the default). */
  lockPolicy(productId: string): Promise<AttestationPolicyRecord | undefined>;
  savePolicy(policy: AttestationPolicyRecord): Promise<void>;
  /** The product's manufacturer CA with this fingerprint, removed or not, locked. */
  lockManufacturerCa(productId: string, fingerprintSha256: Uint8Array): Promise<ManufacturerCaRecord | undefined>;
  /**
   * Inserts the CA, or adds a removed one back; false when it is listed already (the
   * (product, fingerprint) key decides between concurrent adds).
   */
  saveManufacturerCa(ca: ManufacturerCaRecord): Promise<boolean>;
  markManufacturerCaRemoved(productId: string, fingerprintSha256: Uint8Array, by: string, at: Date): Promise<void>;
  /** The product's trusted manufacturer CAs, share-locked: a concurrent removal waits for this transaction. */
  shareLockManufacturerCas(productId: string): Promise<ManufacturerCaRecord[]>;
  /** Records the counters of a quote the AK verified (its row locked by `lockKey` first). */
  recordQuoteClock(keyId: string, counters: QuoteCounters): Promise<void>;
  /** Retires the device's current AK (if any) and activates this one. */
  activateKey(deviceId: string, id: string, at: Date): Promise<void>;
  /** The current verifier key's id, its row locked: rotations run one at a time. */
  lockCurrentVerifierKey(): Promise<string | undefined>;
  /** The verifier key with this id, if it is one. */
  findVerifierKey(keyId: string): Promise<VerifierKeyRecord | undefined>;
  /** Retires `previous` (naming `next` its successor) and makes `next` the current key. */
  rotateVerifierKey(previous: string, next: string, at: Date): Promise<void>;
  /** The device's latest appraisal, read in the transaction. */
  latestResult(deviceId: string): Promise<AttestationResultRecord | undefined>;
  /**
   * The device's window for a repeatable refusal (refusal-window.ts), undefined if that refusal was
   * never recorded. The caller holds the device row's lock (`lockDevices`), which serialises the
   * device's refusals.
   */
  findRefusalWindow(deviceId: string, reason: string, scope: string): Promise<RefusalWindow | undefined>;
  /** Creates or replaces the window. Bookkeeping, not trust state: no event of its own. */
  saveRefusalWindow(window: RefusalWindow): Promise<void>;
}

/**
 * A refusal a device can repeat at will, per device, reason and scope (the device's state for
 * DEVICE_NOT_ACTIVE, '' otherwise): when its `attestation.failed` was last written, and how many
 * of the same refusals were counted, not written, since (migration 0024).
 */
export interface RefusalWindow {
  readonly deviceId: string;
  readonly reason: string;
  readonly scope: string;
  readonly recordedAt: Date;
  readonly suppressed: number;
}

/** What the verifier counts without writing it: a port the server fills with a prom-client counter. */
export interface AttestationMetrics {
  /** a repeated refusal answered but not written to the ledger (refusal-window.ts) */
  refusalSuppressed(reason: string): void;
  /** evidence sent again over the nonce it spent, answered with its earlier result (challenge.ts) */
  evidenceRepeated(): void;
}

/** Defaults of the verifier's challenges (docs/design/attestation.md). */
export interface AttestationConfig {
  /** how long a nonce may be answered with evidence */
  readonly nonceValiditySeconds: number;
  /** how long a credential-activation challenge may be answered */
  readonly credentialChallengeSeconds: number;
  /** how long an appraisal result stands before the device must attest again */
  readonly resultValiditySeconds: number;
  /**
   * A refusal a device can repeat at will — a suspended or decommissioned device calling, evidence
   * over a nonce that is unknown, used or expired — is recorded once per device and reason, then
   * counted, not written, for this long (refusal-window.ts): retries cannot flood the ledger.
   */
  readonly refusalQuietSeconds: number;
  /** how many unused, unexpired nonces a device may hold; asking for another evicts its oldest */
  readonly outstandingNonces: number;
  /**
   * how many nonces a device may be issued in an hour, spent or not. Each nonce spent on evidence
   * that fails appraisal writes a result and an `attestation.failed`, so this bounds what one
   * device can write to the ledger; beyond it, ATTESTATION_RATE_LIMITED (429) with Retry-After.
   */
  readonly noncesPerHour: number;
}

export const defaultAttestationConfig: AttestationConfig = Object.freeze({
  nonceValiditySeconds: 60,
  credentialChallengeSeconds: 300,
  resultValiditySeconds: 86_400,
  refusalQuietSeconds: 3600,
  outstandingNonces: 8,
  noncesPerHour: 60,
});

export interface AttestationContext {
  readonly identity: IdentityContext;
  readonly store: AttestationStore;
  readonly clock: Clock;
  readonly random: Random;
  readonly config: AttestationConfig;
  readonly metrics: AttestationMetrics;
  /**
   * The current verifier key (it signs results), made on first use; re-read from the store at
   * most every 30 s, so servers sharing a database follow a rotation made by another.
   */
  verifierSigner(): Promise<Signer>;
  /** After a rotation by this process: the next `verifierSigner()` reads the store. */
  verifierKeyChanged(): void;
}
