import type { DeviceState } from '../core/lifecycle.ts';
import type {
  CaRecord,
  CertificateRecord,
  CertificateStatus,
  DeviceRecord,
  EventInput,
  EventRecord,
  KeyBinding,
  ProductRecord,
} from './records.types.ts';
import type { RevocationReason } from '../core/revocation-reason.ts';
import type { OneTimeTokenGrant } from './issuance-plan.ts';

/** Reads the identity capability needs; store/ implements them for PGlite and PostgreSQL. */
export interface IdentityReader {
  findRootCa(): Promise<CaRecord | undefined>;
  findCa(id: string): Promise<CaRecord | undefined>;
  /** The newest delegated OCSP responder of an issuing CA (responders rotate). */
  findCurrentOcspResponder(issuingCaId: string): Promise<CaRecord | undefined>;
  findProductBySku(sku: string): Promise<ProductRecord | undefined>;
  findProductById(id: string): Promise<ProductRecord | undefined>;
  listProducts(): Promise<ProductRecord[]>;
  findDevice(productId: string, serial: string): Promise<DeviceRecord | undefined>;
  listDevices(productId: string, q: { state?: DeviceState; after?: string; limit: number }): Promise<DeviceRecord[]>;
  listDeviceCertificates(deviceId: string): Promise<CertificateRecord[]>;
  findCertificate(caId: string, serial: string): Promise<CertificateRecord | undefined>;
  findCertificates(serials: string[]): Promise<CertificateRecord[]>;
  listSubjectEvents(subjectType: string, subjectId: string): Promise<EventRecord[]>;
}

export interface DeviceUpdate {
  id: string;
  state: DeviceState;
  currentCertificateSerial: string | null;
  updatedAt: Date;
}

export interface CertificateStatusUpdate {
  serial: string;
  status: CertificateStatus;
  revocationReason: RevocationReason | null;
  revokedAt: Date | null;
}

/** An access grant a device's revocation or decommissioning ended. */
export interface EndedAccessGrant {
  grantId: string;
  productId: string;
  /** the grant's SSH certificate serial (decimal) */
  serial: string;
  requester: string;
  /** its serial went into the KRL (it had a certificate still valid) */
  krl: boolean;
}

export interface IssuanceStateQuery {
  devices: { productId: string; serial: string }[];
  spkiSha256: Uint8Array[];
  /** one-time enrollment tokens by SHA-256 (EST), with their batch */
  oneTimeTokens: Uint8Array[];
  /** a factory's bearer token asks: the unused tokens of its open, current batches for these serials */
  factoryAsks: { productId: string; serial: string; factory: string }[];
  now: Date;
}

/** A certificate as issuance decides on it: everything but its DER. */
export type CertificateState = Omit<CertificateRecord, 'der'>;

export interface IssuanceState {
  devices: DeviceRecord[];
  bindings: KeyBinding[];
  /** the devices' certificates whose status is good or hold */
  certificates: CertificateState[];
  oneTimeGrants: OneTimeTokenGrant[];
  factoryGrants: OneTimeTokenGrant[];
}

export interface TokenUse {
  tokenHash: Uint8Array;
  usedAt: Date;
  station: string | null;
  certificateSerial: string;
  /** a spent token moves from this certificate (a lost serverkeygen answer re-issued) */
  replaces?: string;
}

export interface IssuanceWrites {
  /** keys new to their device, bound at `at` */
  bindings: KeyBinding[];
  statusUpdates: CertificateStatusUpdate[];
  certificates: CertificateRecord[];
  devices: DeviceUpdate[];
  spentTokens: TokenUse[];
  /** devices whose bound keys are retired at `at` (revoke, decommission): never certified again */
  retireKeysOf?: string[];
  /** the batch's events: appended last, in the same statement */
  events: EventInput[];
  at: Date;
}

/**
 * One unit of work: every write and its events commit together or not at all (DESIGN rule 1).
 * The store refuses to commit a unit of work that changed state without recording an event.
 */
export interface IdentityUnitOfWork {
  insertCa(ca: CaRecord): Promise<void>;
  insertProduct(p: ProductRecord): Promise<void>;
  insertDevices(devices: DeviceRecord[]): Promise<void>;
  /** Labels of newly registered devices. */
  insertDeviceTags(tags: { deviceId: string; tag: string }[]): Promise<void>;
  /** Locks and returns the devices, in a stable order (no deadlocks between concurrent units). */
  lockDevices(keys: { productId: string; serial: string }[]): Promise<DeviceRecord[]>;
  updateDevices(updates: DeviceUpdate[]): Promise<void>;
  insertCertificates(certs: CertificateRecord[]): Promise<void>;
  updateCertificateStatuses(updates: CertificateStatusUpdate[]): Promise<void>;
  /**
   * Everything an issuance batch decides on, read in one round trip: the devices (locked, in a
   * stable order), the key bindings of the requests' keys, the devices' good or on-hold
   * certificates (locked), and the one-time tokens asked for (locked against a concurrent use).
   */
  lockIssuanceState(query: IssuanceStateQuery): Promise<IssuanceState>;
  /**
   * Ends every access grant that names the device and is awaiting approval or current
   * (docs/design/access.md): a revoked or decommissioned device is reached by nobody. Where one had
   * a certificate still valid, its product's SSH KRL moves to a version that lists its serial.
   */
  endAccessGrantsNaming(deviceId: string, at: Date, endedBy: string, reason: string): Promise<EndedAccessGrant[]>;
  /**
   * Revokes the device's SSH host certificates still valid at `at` (a technician's client refuses
   * them through the product's host KRL); where there was one, the product's KRL version moves on.
   * Their serials (decimal), in order.
   */
  revokeHostCertificatesOf(deviceId: string, at: Date): Promise<string[]>;
  /** An issuance batch's writes and its events, in one statement. */
  writeIssuance(writes: IssuanceWrites): Promise<void>;
  /** Queued; written with gap-free sequence numbers at the end of the unit of work. */
  recordEvents(events: EventInput[]): void;
}

/**
 * Inside a unit of work use only the `uow` handed in: on the embedded store a read through the
 * store itself would wait for the connection the unit of work holds.
 */
export interface IdentityStore extends IdentityReader {
  unitOfWork<T>(fn: (uow: IdentityUnitOfWork) => Promise<T>, options?: { at?: Date }): Promise<T>;
  /**
   * Records, once, that the device authenticated with this certificate on the device listener;
   * true if this call set it. An observation, not a decision: it ends the recovery window of the
   * certificate this one superseded, which the issuance event already recorded as superseded.
   */
  recordFirstUse(serial: string, at: Date): Promise<boolean>;
}
