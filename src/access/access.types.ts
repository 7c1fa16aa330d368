/** Time-bound SSH access (docs/design/access.md): a product's policy, its SSH CAs, grants and their certificates. */

export const sshCaKeyAlgorithms = ['ed25519', 'ecdsa-p256'] as const;
export type SshCaKeyAlgorithm = (typeof sshCaKeyAlgorithms)[number];

/** PROTOCOL.certkeys §"Extensions": the ones a policy may allow (each empty-valued). */
export const sshExtensions = ['permit-X11-forwarding', 'permit-agent-forwarding', 'permit-port-forwarding', 'permit-pty', 'permit-user-rc'] as const;
export type SshExtension = (typeof sshExtensions)[number];

/** What every grant of a product may at most be. */
export interface AccessPolicy {
  maxDurationSeconds: number;
  /** how long a request waits for a decision before it expires undecided */
  requestTtlSeconds: number;
  /** a break-glass grant's maximum: the shortest (it is self-approved) */
  breakGlassMaxSeconds: number;
  extensions: SshExtension[];
  /** PROTOCOL.certkeys critical options, when set */
  forceCommand: string | null;
  /** comma-separated CIDR list, as sshd reads it */
  sourceAddress: string | null;
  maxCertificatesPerGrant: number;
  hostCertificateValidityDays: number;
  /** a DNS domain: host certificates also name `<serial>.<hostDomain>` */
  hostDomain: string | null;
  /** the algorithm of the product's SSH CA keys, used when they are made */
  caKeyAlgorithm: SshCaKeyAlgorithm;
  /** null: the defaults, never set */
  updatedBy: string | null;
  updatedAt: Date | null;
}

export const defaultAccessPolicy: AccessPolicy = Object.freeze({
  maxDurationSeconds: 8 * 3600,
  requestTtlSeconds: 24 * 3600,
  breakGlassMaxSeconds: 3600,
  extensions: ['permit-pty'],
  forceCommand: null,
  sourceAddress: null,
  maxCertificatesPerGrant: 1,
  hostCertificateValidityDays: 30,
  hostDomain: null,
  caKeyAlgorithm: 'ed25519',
  updatedBy: null,
  updatedAt: null,
}) as AccessPolicy;

export type SshCaKind = 'user' | 'host';

export interface SshCaRecord {
  id: string;
  productId: string;
  kind: SshCaKind;
  keyId: string;
  createdAt: Date;
  retiredAt: Date | null;
}

/** What a grant reaches: named devices, every device with a tag, or the whole product. */
export type GrantTarget = { kind: 'devices'; serials: string[] } | { kind: 'tag'; tag: string } | { kind: 'product' };

export type GrantState = 'requested' | 'approved' | 'denied' | 'ended';

export interface AccessGrant {
  id: string;
  productId: string;
  /** the SSH certificates' serial: unique, never reused */
  serial: bigint;
  /** the requesting token's owner: who may never approve it */
  requester: string;
  /** the ledger's name of the requesting token */
  requestedBy: string;
  requestedAt: Date;
  /** a request not decided by then expires (null: break-glass, or made before requests expired) */
  decideBy: Date | null;
  target: GrantTarget;
  purpose: string;
  ticket: string | null;
  durationSeconds: number;
  breakGlass: boolean;
  state: GrantState;
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionNote: string | null;
  validFrom: Date | null;
  validUntil: Date | null;
  endedBy: string | null;
  endedAt: Date | null;
  endReason: string | null;
  reviewedBy: string | null;
  reviewedAt: Date | null;
  reviewNote: string | null;
}

/** A grant's state as a person reads it: `expired` is an approved grant past its window, or a request nobody decided in time. */
export type GrantStatus = GrantState | 'expired';

export function grantStatus(g: AccessGrant, now: Date): GrantStatus {
  const past = (d: Date | null): boolean => d !== null && d.getTime() <= now.getTime();
  if (g.state === 'approved' && past(g.validUntil)) return 'expired';
  if (g.state === 'requested' && past(g.decideBy)) return 'expired';
  return g.state;
}

export interface SshCertificateRecord {
  id: string;
  productId: string;
  caId: string;
  kind: SshCaKind;
  grantId: string | null;
  deviceId: string | null;
  serial: bigint;
  keyId: string;
  keyFingerprint: string;
  principals: string[];
  validAfter: Date;
  validBefore: Date;
  /** one line, `<type>-cert-v01@openssh.com AAAA… comment`: public */
  certificate: string;
  owner: string;
  purpose: string;
  issuedAt: Date;
}

export interface LoginReport {
  keyId: string;
  serial: bigint;
  at: Date;
  source: string;
}

/** A login as recorded: on its grant, by the device that saw it. */
export interface AccessLogin extends LoginReport {
  grantId: string;
  deviceId: string;
  recordedAt: Date;
}
