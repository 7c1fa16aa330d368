import type { IdentityUnitOfWork } from '../pki/identity-store.types.ts';
import type { ReprovisionGrant } from '../pki/records.types.ts';

/** A factory enrollment batch: serials that may be born, by which factory, when. */
export interface EnrollmentBatchRecord {
  id: string;
  productId: string;
  /** the factory principal: owner of the `factory` tokens that may act for this batch */
  factory: string;
  validFrom: Date;
  validUntil: Date;
  size: number;
  createdBy: string;
  createdAt: Date;
  closedAt: Date | null;
  closedBy: string | null;
}

/** One serial of a batch and the state of its one-time token (the secret itself is never stored). */
export interface BatchSerialRecord {
  serial: string;
  expiresAt: Date;
  usedAt: Date | null;
  station: string | null;
  certificateSerial: string | null;
}

/** A manufacturer CA whose certificates (IEEE 802.1AR IDevIDs) may enroll a product's devices. */
export interface BootstrapCaRecord {
  id: string;
  productId: string;
  certificate: Uint8Array;
  subject: string;
  fingerprintSha256: Uint8Array;
  notAfter: Date;
  createdBy: string;
  createdAt: Date;
}

export interface EnrollmentUnitOfWork extends IdentityUnitOfWork {
  insertBatch(batch: EnrollmentBatchRecord): Promise<void>;
  insertBatchTokens(batch: EnrollmentBatchRecord, tokens: { serial: string; tokenHash: Uint8Array }[]): Promise<void>;
  lockBatch(id: string): Promise<EnrollmentBatchRecord | undefined>;
  /** Of these serials of a product, those holding an unused token of an open batch that has not ended. */
  serialsWithLiveTokens(productId: string, serials: string[], now: Date): Promise<string[]>;
  unusedSerials(batchId: string): Promise<string[]>;
  /** Replaces the token of each unused serial of the batch; returns the serials replaced. */
  replaceUnusedTokens(batchId: string, tokens: { serial: string; tokenHash: Uint8Array }[]): Promise<string[]>;
  closeBatch(id: string, at: Date, by: string): Promise<void>;
  /** false (nothing written) when the product already has a CA with this fingerprint */
  insertBootstrapCa(ca: BootstrapCaRecord): Promise<boolean>;
  /** Records an operator's re-provisioning decision on a (locked, revoked) device. */
  setReprovision(deviceId: string, decision: ReprovisionGrant, at: Date): Promise<void>;
}

export interface EnrollmentStore {
  unitOfWork<T>(fn: (uow: EnrollmentUnitOfWork) => Promise<T>, options?: { at?: Date }): Promise<T>;
  findBatch(id: string): Promise<EnrollmentBatchRecord | undefined>;
  listBatches(productId: string): Promise<EnrollmentBatchRecord[]>;
  countUsedTokens(batchIds: string[]): Promise<Map<string, number>>;
  listBatchSerials(batchId: string): Promise<BatchSerialRecord[]>;
  listBootstrapCas(productId: string): Promise<BootstrapCaRecord[]>;
  /** A spent token's product, serial and the certificate it was spent on (answering a retried enrollment). */
  findSpentToken(tokenHash: Uint8Array): Promise<{ productId: string; serial: string; certificateSerial: string } | undefined>;
  /** The certificates of trustplane's own CAs (root, issuing, OCSP responders): never bootstrap CAs. */
  listOwnCaCertificates(): Promise<Uint8Array[]>;
}
