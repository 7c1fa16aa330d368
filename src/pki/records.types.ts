import type { DeviceState } from '../core/lifecycle.ts';
import type { RevocationReason } from '../core/revocation-reason.ts';
import type { KeyAlgorithm } from '../crypto/key-algorithm.ts';

export const craClasses = ['default', 'important-1', 'important-2', 'critical'] as const;
export type CraClass = (typeof craClasses)[number];

export interface ProductRecord {
  id: string;
  sku: string;
  name: string;
  craClass: CraClass;
  /** The last instant of the support period (end of the given day, UTC). */
  supportUntil: Date;
  keyAlgorithm: KeyAlgorithm;
  certificateValidityDays: number;
  renewalWindowDays: number;
  /** EST serverkeygen allowed: for devices that cannot make their own keys (RFC 7030 §4.4) */
  serverKeygen: boolean;
  /** how long after expiry a certificate may still authenticate its own re-enrollment */
  reenrollGraceDays: number;
  owner: string;
  issuingCaId: string;
  createdAt: Date;
  /**
   * Where the product is made available, from its CRA profile (article14/member-states.ts): `all-eu`,
   * EU/EEA Member State codes (Greece `EL`), or null when not recorded.
   */
  memberStates: string[] | 'all-eu' | null;
}

export type CaKind = 'root' | 'issuing' | 'ocsp-responder';

export interface CaRecord {
  id: string;
  kind: CaKind;
  productId: string | null;
  parentId: string | null;
  keyId: string;
  certificate: Uint8Array;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  createdAt: Date;
}

export interface DeviceRecord {
  id: string;
  productId: string;
  serial: string;
  hardwareId: string | null;
  state: DeviceState;
  currentCertificateSerial: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** an operator's pending decision to let this revoked device enroll once (DESIGN rule 7) */
  reprovision: ReprovisionGrant | null;
}

/** How a revoked device may enroll again, once: the path an operator chose, until when. */
export type ReprovisionPath = 'token' | 'bootstrap' | 'api';
export const reprovisionPaths: readonly ReprovisionPath[] = ['token', 'bootstrap', 'api'];

export interface ReprovisionGrant {
  via: ReprovisionPath;
  until: Date;
  /** with `token`: the one-serial batch holding the token minted for the decision */
  batchId: string | null;
}

export type CertificateStatus = 'good' | 'hold' | 'revoked' | 'superseded';

export interface CertificateRecord {
  /** lower-case hex of the serial's 16 octets */
  serial: string;
  caId: string;
  deviceId: string | null;
  spkiSha256: Uint8Array;
  der: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  status: CertificateStatus;
  revocationReason: RevocationReason | null;
  revokedAt: Date | null;
  issuedAt: Date;
  /** when the device first authenticated with it on the device listener; null: never (yet) */
  firstUsedAt: Date | null;
  /** the issuance that made it; null for certificates that are not a device's, or older than the field */
  issuedFor: IssuedFor | null;
}

/** What made a device certificate: a first enrollment with the device's own key, one with a key the server made (RFC 7030 §4.4), or a renewal. */
export type IssuedFor = 'enroll' | 'serverkeygen' | 'renew';

export interface KeyBinding {
  spkiSha256: Uint8Array;
  deviceId: string;
  /** set when the device is revoked: the key may never be certified again */
  retiredAt: Date | null;
}

/** Who did it: a token's owner, a device speaking for itself (EST), or trustplane itself (start-up, schedules). */
export type Actor =
  | { kind: 'token'; tokenId: string; owner: string; role: string }
  | { kind: 'device'; product: string; serial: string; via: string }
  | { kind: 'system'; name: string };

export function actorName(a: Actor): string {
  switch (a.kind) {
    case 'token':
      return `${a.owner} (${a.role}, ${a.tokenId})`;
    case 'device':
      return `device:${a.product}:${a.serial} (${a.via})`;
    case 'system':
      return `system:${a.name}`;
  }
}

export interface EventInput {
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  details: Record<string, unknown>;
}

export interface EventRecord extends EventInput {
  seq: number;
  at: Date;
}
