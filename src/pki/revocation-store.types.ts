import type { RevocationReason } from '../core/revocation-reason.ts';
import type { CertificateStatus } from './records.types.ts';

/** A CRL as stored: its facts, and where its bytes are. */
export interface StoredCrl {
  caId: string;
  crlNumber: bigint;
  kind: 'full' | 'delta';
  /** delta CRLs: the complete CRL they start from (RFC 5280 §5.2.4) */
  baseCrlNumber: bigint | null;
  thisUpdate: Date;
  nextUpdate: Date;
  /** the store snapshot every change of which is on this CRL; null for CRLs made before migration 0006 */
  coversSnapshot: string | null;
  /** revokedCertificates entries, when known */
  entries: number | null;
  byteLength: number;
  /** where the bytes are: the parts' id, or the whole DER (CRLs made before migration 0006) */
  bytes: { partsId: string } | { der: Uint8Array };
}

/** A certificate as a CRL lists it. */
export interface RevocationRow {
  serial: string;
  status: CertificateStatus;
  revokedAt: Date | null;
  reason: RevocationReason | null;
}

/** What an OCSP answer for one certificate is made from, and what keeps a stored answer valid. */
export interface CertificateRevocationState {
  status: CertificateStatus;
  revokedAt: Date | null;
  reason: RevocationReason | null;
  /** the transaction that last changed the status (null: never changed since issuance) */
  statusXid: string | null;
}

export interface StoredOcspResponse {
  caId: string;
  /** DER of the CertID the answer is for, as the client sent it */
  certId: Uint8Array;
  serial: string;
  status: 'good' | 'revoked' | 'unknown';
  statusXid: string | null;
  responderKeyId: string;
  thisUpdate: Date;
  nextUpdate: Date;
  der: Uint8Array;
}

/**
 * The revocation capability's storage port (store/revocation-repository.ts). Every read here is
 * bounded: no call reads every CRL ever stored or every revoked certificate at once.
 */
export interface RevocationStore {
  /** The store's current snapshot (pg_current_snapshot), taken before a CRL's entries are read. */
  currentSnapshot(): Promise<string>;
  /** The newest CRL of `caId`, of one kind or either. */
  latestCrl(caId: string, kind?: 'full' | 'delta'): Promise<StoredCrl | undefined>;
  /** Up to `limit` not-good certificates of the CA with a serial above `after`, by serial, not expired at `at`. */
  revokedPage(caId: string, after: string, at: Date, limit: number): Promise<RevocationRow[]>;
  /** The CA's certificates whose status changed after `snapshot` saw (a reinstated one is good). */
  changesSince(caId: string, snapshot: string): Promise<RevocationRow[]>;
  hasChangesSince(caId: string, snapshot: string): Promise<boolean>;
  /**
   * Stores the parts, then the CRL row that publishes them. False when the number was taken
   * meanwhile (another server on the same database published it): the parts are removed again.
   */
  saveCrl(crl: StoredCrl & { bytes: { partsId: string } }, parts: readonly Uint8Array[]): Promise<boolean>;
  /** A stored CRL's bytes, part by part, in order. */
  crlParts(crl: StoredCrl): AsyncIterable<Uint8Array>;

  /** The certificate's revocation state (for an OCSP answer), or undefined: no such certificate of this CA. */
  revocationState(caId: string, serial: string): Promise<CertificateRevocationState | undefined>;
  /** A stored answer for this CertID that still says what its certificate's status is now. */
  findOcspResponse(caId: string, certId: Uint8Array): Promise<StoredOcspResponse | undefined>;
  saveOcspResponse(response: StoredOcspResponse): Promise<void>;
  /** Drops a CA's stored answers (its responder changed). */
  dropOcspResponses(caId: string): Promise<void>;
  /** Drops stored answers whose nextUpdate has passed (none of them is served again); how many. */
  pruneOcspResponses(now: Date): Promise<number>;
}
