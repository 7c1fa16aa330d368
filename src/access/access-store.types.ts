import type { NewAccessPath } from './access-paths.types.ts';
import type { DeviceRecord, EventInput } from '../pki/records.types.ts';
import type { AccessGrant, AccessLogin, AccessPolicy, SshCaRecord, SshCertificateRecord } from './access.types.ts';

/** The writes and locking reads of one access change, in one transaction with its events. */
export interface AccessUnitOfWork {
  recordEvents(events: EventInput[]): void;
  /** The next value of the access serial sequence: unique, never handed out again. */
  nextSerial(): Promise<bigint>;
  /** The devices, locked (a lifecycle change waits for the request naming them), in a stable order. */
  lockDevices(keys: { productId: string; serial: string }[]): Promise<DeviceRecord[]>;
  insertGrant(grant: AccessGrant, deviceIds: readonly string[]): Promise<void>;
  /**
   * The requester's grants of the product still open at `at`: awaiting a decision, or break-glass
   * and running. The requester's requests are serialised until commit, so a retry racing its
   * original finds it.
   */
  lockOpenRequests(productId: string, requester: string, at: Date): Promise<AccessGrant[]>;
  /** The grant, locked until commit. */
  lockGrant(productId: string, grantId: string): Promise<AccessGrant | undefined>;
  /** Writes the grant's state, decision, window, end and review. */
  updateGrant(grant: AccessGrant): Promise<void>;
  listCertificates(grantId: string): Promise<SshCertificateRecord[]>;
  insertCertificate(c: SshCertificateRecord): Promise<void>;
  /** Moves the product's KRL to its next version (a grant ended early). */
  nextKrlVersion(productId: string, at: Date): Promise<void>;
  /** Inserts each CA unless the product has a current one of its kind; those inserted. */
  insertSshCas(cas: SshCaRecord[]): Promise<SshCaRecord[]>;
  /** Registers a privileged access path (an SSH CA) with its event, in this transaction. */
  registerAccessPath(path: NewAccessPath): Promise<void>;
  savePolicy(productId: string, policy: AccessPolicy): Promise<void>;
  /** The logins not recorded before (same grant, device, time and source): those inserted. */
  insertLogins(logins: AccessLogin[]): Promise<AccessLogin[]>;
}

export interface GrantFilter {
  /** a grant's requester (a technician's own) */
  requester?: string;
  /** break-glass grants nobody has reviewed yet */
  unreviewed?: boolean;
  state?: AccessGrant['state'];
  limit: number;
  /** grants requested before this one (newest first) */
  before?: string;
}

/** The storage port of time-bound access; store/access-repository.ts fulfils it. */
export interface AccessStore {
  unitOfWork<T>(fn: (uow: AccessUnitOfWork) => Promise<T>, options?: { at?: Date }): Promise<T>;
  /** The product's policy; the defaults when none was ever set. */
  findPolicy(productId: string): Promise<AccessPolicy>;
  /** The product's current SSH CAs (not retired). */
  findSshCas(productId: string): Promise<SshCaRecord[]>;
  findGrant(productId: string, grantId: string): Promise<AccessGrant | undefined>;
  /** A grant by id alone (ids are unique across products): the CLI names a grant without its product. */
  findGrantById(grantId: string): Promise<AccessGrant | undefined>;
  listGrants(productId: string, filter: GrantFilter): Promise<AccessGrant[]>;
  /** The serials of a device-list grant's devices. */
  grantDeviceSerials(grantId: string): Promise<string[]>;
  listCertificates(grantId: string): Promise<SshCertificateRecord[]>;
  /** The product's grants with these serials. */
  findGrantsBySerial(productId: string, serials: readonly bigint[]): Promise<AccessGrant[]>;
  /** The newest host certificate of the device for a key, if any. */
  findHostCertificate(deviceId: string, keyFingerprint: string): Promise<SshCertificateRecord | undefined>;
  /**
   * The product's KRL state: its version and when it moved, the serials of every grant ended
   * early that had certificates still valid when it ended (the user KRL), and those of the host
   * certificates revoked with their device (the host KRL).
   */
  krlState(productId: string): Promise<{ version: bigint; updatedAt: Date; serials: bigint[]; hostSerials: bigint[] }>;
  /** The KRL version alone (to tell whether a cached KRL is current). */
  krlVersion(productId: string): Promise<{ version: bigint; updatedAt: Date }>;
  /**
   * Moves on the KRL of every product whose KRL lists a certificate that has expired since its
   * version last moved, so that the new version leaves it out: an expired certificate needs no
   * revocation, and a KRL every device fetches every few minutes must not grow for ever. The
   * products' ids.
   */
  pruneKrls(at: Date): Promise<string[]>;
  deviceTags(deviceId: string): Promise<string[]>;
}
