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
}

/** A product's attestation policy: what a failed appraisal does beyond its record. */
export interface AttestationPolicy {
  /** suspend the device (certificate on hold) when an appraisal fails; an operator reinstates */
  readonly suspendOnFailure: boolean;
}

export const defaultAttestationPolicy: AttestationPolicy = Object.freeze({ suspendOnFailure: false });

export interface AttestationPolicyRecord extends AttestationPolicy {
  readonly productId: string;
  readonly setBy: string;
  readonly setAt: Date;
}

/** What became of a nonce answered with evidence; only `consumed` lets the evidence through. */
export type NonceConsumption = 'consumed' | 'unknown' | 'used' | 'expired';

/** The attestation capability's storage port (store/attestation-repository.ts implements it). */
export interface AttestationStore {
  insertNonce(nonce: AttestationNonceRecord): Promise<void>;
  findNonce(nonce: Uint8Array): Promise<AttestationNonceRecord | undefined>;
  findKey(deviceId: string, id: string): Promise<AttestationKeyRecord | undefined>;
  /** The device's activated, unretired AK. */
  currentKey(deviceId: string): Promise<AttestationKeyRecord | undefined>;
  /** The activated AK (retired or not) with this Name, on any device. */
  findBoundKey(akName: Uint8Array): Promise<AttestationKeyRecord | undefined>;
  /** The verifier key's id, if one was made. */
  verifierKeyId(): Promise<string | undefined>;
  /** Records `keyId` as the verifier key unless one is recorded already; the recorded one's id. */
  claimVerifierKey(keyId: string, at: Date): Promise<string>;
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
   * Marks the nonce used if it is this device's, unused and unexpired at `at`: one conditional
   * update, so two requests with one nonce cannot both pass. Otherwise says why not.
   */
  consumeNonce(nonce: Uint8Array, deviceId: string, at: Date): Promise<NonceConsumption>;
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
  /** When the device's latest `attestation.failed` for being `deviceState` (DEVICE_NOT_ACTIVE) was recorded, if ever. */
  lastInactiveRefusal(deviceId: string, deviceState: string): Promise<Date | undefined>;
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
   * A suspended or decommissioned device that keeps calling is recorded once, then not again for
   * this long while it stays in that state (docs/design/attestation.md): retries cannot flood the ledger.
   */
  readonly inactiveRefusalQuietSeconds: number;
}

export const defaultAttestationConfig: AttestationConfig = Object.freeze({
  nonceValiditySeconds: 60,
  credentialChallengeSeconds: 300,
  resultValiditySeconds: 86_400,
  inactiveRefusalQuietSeconds: 3600,
});

export interface AttestationContext {
  readonly identity: IdentityContext;
  readonly store: AttestationStore;
  readonly clock: Clock;
  readonly random: Random;
  readonly config: AttestationConfig;
  /** The verifier's signing key (attestation results), made on first use. */
  verifierSigner(): Promise<Signer>;
}
