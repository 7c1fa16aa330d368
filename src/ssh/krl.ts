import { TrustplaneError } from '../core/errors.ts';
import { chooseSerialSections } from './krl-serial-sections.ts';
import type { SshPublicKey } from './public-key.ts';
import { MAX_UINT64, SshWriter } from './ssh-wire.ts';

/**
 * OpenSSH key revocation lists, PROTOCOL.krl. trustplane writes certificate sections only,
 * unsigned: KRLs reach devices over the device listener's mutual TLS, and sshd's RevokedKeys
 * takes no key to check a KRL signature against.
 */
export const KRL_MAGIC = 0x5353484b524c0a00n; // "SSHKRL\n\0"
export const KRL_FORMAT_VERSION = 1;
export const KrlSection = { certificates: 1, explicitKey: 2, fingerprintSha1: 3, signature: 4, fingerprintSha256: 5 } as const;
export const KrlCertSection = { serialList: 0x20, serialRange: 0x21, serialBitmap: 0x22, keyId: 0x23 } as const;

/** The shape docs/design/ssh-contract.md fixes, and two optional additions. */
export interface KrlInput {
  /** The CA whose certificates the serials name. */
  readonly caKey: SshPublicKey;
  /** Revoked serials, in any order, repeats ignored; 1..2^64-1 (OpenSSH refuses a KRL naming 0). */
  readonly serials: readonly bigint[];
  /** PROTOCOL.krl §1: increases each time the KRL changes; the agent refuses to go back to a lower one. */
  readonly version: bigint;
  readonly generatedAt: Date;
  readonly comment?: string;
  /** The same serials revoked under these CA keys too (a product's previous user CA while it is still trusted). */
  readonly alsoCaKeys?: readonly SshPublicKey[];
  /** Key ids revoked whatever their serial (PROTOCOL.krl §2.4). */
  readonly keyIds?: readonly string[];
}

export function encodeKrl(input: KrlInput): Buffer {
  const sorted = sortedDistinct(input.serials);
  // krl.c ssh_krl_revoke_cert_by_serial_range: OpenSSH refuses a KRL naming serial 0.
  if (sorted.length > 0 && (sorted[0]! < 1n || sorted.at(-1)! > MAX_UINT64)) {
    throw new TrustplaneError('VALIDATION_FAILED', 'A revoked serial is not in 1..2^64-1');
  }
  const serialSections = serialSubsections(sorted, input.keyIds ?? []);
  const w = new SshWriter()
    .uint64(KRL_MAGIC)
    .uint32(KRL_FORMAT_VERSION)
    .uint64(input.version)
    .uint64(BigInt(Math.floor(input.generatedAt.getTime() / 1000)))
    .uint64(0n) // flags: none defined
    .string(new Uint8Array(0)) // reserved
    .string(input.comment ?? '');
  for (const caKey of [input.caKey, ...(input.alsoCaKeys ?? [])]) {
    // PROTOCOL.krl §2: string ca_key, string reserved, then the subsections.
    const section = new SshWriter().string(caKey.blob).string(new Uint8Array(0)).raw(serialSections);
    w.byte(KrlSection.certificates).string(section.bytes());
  }
  return Buffer.from(w.bytes());
}

/** Ascending, repeats dropped. Grant serials are small: sorted as doubles when they all fit, ten times faster than as bigints. */
function sortedDistinct(serials: readonly bigint[]): bigint[] {
  const small = serials.every((s) => s >= 0n && s <= MAX_SAFE);
  const sorted = small ? Array.from(Float64Array.from(serials, Number).sort(), BigInt) : [...serials].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.filter((s, i) => i === 0 || s !== sorted[i - 1]);
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function serialSubsections(sorted: readonly bigint[], keyIds: readonly string[]): Uint8Array {
  const w = new SshWriter();
  for (const s of chooseSerialSections(sorted)) {
    const body = new SshWriter();
    if (s.kind === 'list') for (const serial of s.serials) body.uint64(serial);
    else if (s.kind === 'range') body.uint64(s.min).uint64(s.max);
    else body.uint64(s.offset).mpint(s.bits);
    const type = s.kind === 'list' ? KrlCertSection.serialList : s.kind === 'range' ? KrlCertSection.serialRange : KrlCertSection.serialBitmap;
    w.byte(type).string(body.bytes());
  }
  if (keyIds.length > 0) {
    const ids = new SshWriter();
    for (const id of [...new Set(keyIds)].sort()) ids.string(id);
    w.byte(KrlCertSection.keyId).string(ids.bytes());
  }
  return w.bytes();
}
