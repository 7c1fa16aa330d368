import { createHash } from 'node:crypto';
import { TrustplaneError } from '../core/errors.ts';
import { KRL_FORMAT_VERSION, KRL_MAGIC, KrlCertSection, KrlSection } from './krl.ts';
import { MAX_BITMAP_BITS } from './krl-serial-sections.ts';
import type { ParsedSshCertificate } from './certificate.ts';
import { parseSshPublicKeyBlob, sameSshKey, type SshPublicKey } from './public-key.ts';
import { SshReader } from './ssh-wire.ts';

export interface SerialRange {
  readonly min: bigint;
  readonly max: bigint;
}

export interface ParsedKrl {
  readonly version: bigint;
  readonly generatedAt: bigint;
  readonly comment: string;
  /** Per CA key (undefined: any CA), the revoked serials as sorted, merged ranges, and key ids. */
  readonly certificates: readonly { readonly caKey: SshPublicKey | undefined; readonly serials: readonly SerialRange[]; readonly keyIds: ReadonlySet<string> }[];
  /** Plain keys revoked by blob or by SHA-1 / SHA-256 of the blob (hex). */
  readonly keys: ReadonlySet<string>;
  readonly sha1s: ReadonlySet<string>;
  readonly sha256s: ReadonlySet<string>;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * Parses a binary KRL the way OpenSSH's ssh_krl_from_blob does (krl.c), refusing what it refuses.
 * Attacker-controlled from a device's point of view: a KRL that does not parse must never replace
 * a good one. Signed KRLs are refused: trustplane neither makes nor checks them.
 */
export function parseKrl(bytes: Uint8Array): ParsedKrl {
  const r = new SshReader(bytes, 'SSH_KRL_MALFORMED');
  if (r.uint64() !== KRL_MAGIC) r.fail('not a KRL (bad magic)');
  if (r.uint32() !== KRL_FORMAT_VERSION) r.fail('unknown KRL format version');
  const version = r.uint64();
  const generatedAt = r.uint64();
  r.uint64(); // flags
  r.string('reserved');
  const comment = r.text('comment');
  const byCa = new Map<string, { caKey: SshPublicKey | undefined; ranges: SerialRange[]; keyIds: Set<string> }>();
  const keys = new Set<string>();
  const sha1s = new Set<string>();
  const sha256s = new Set<string>();
  while (r.remaining > 0) {
    const type = r.byte();
    const section = new SshReader(r.string('section'), 'SSH_KRL_MALFORMED');
    switch (type) {
      case KrlSection.certificates:
        readCertificateSection(section, byCa);
        break;
      case KrlSection.explicitKey:
        blobs(section, keys, 0);
        break;
      case KrlSection.fingerprintSha1:
        blobs(section, sha1s, 20);
        break;
      case KrlSection.fingerprintSha256:
        blobs(section, sha256s, 32);
        break;
      default:
        r.fail(type === KrlSection.signature ? 'signed KRLs are not used here' : `unknown section ${type}`);
    }
  }
  const certificates = [...byCa.values()].map((c) => ({ caKey: c.caKey, serials: mergeRanges(c.ranges), keyIds: c.keyIds }));
  return { version, generatedAt, comment, certificates, keys, sha1s, sha256s };
}

function readCertificateSection(s: SshReader, byCa: Map<string, { caKey: SshPublicKey | undefined; ranges: SerialRange[]; keyIds: Set<string> }>): void {
  const caBlob = s.string('CA key');
  s.string('reserved');
  let caKey: SshPublicKey | undefined;
  try {
    caKey = caBlob.length === 0 ? undefined : parseSshPublicKeyBlob(caBlob);
  } catch (e) {
    throw new TrustplaneError('SSH_KRL_MALFORMED', 'The CA key of a certificate section is not a key', { cause: e });
  }
  const entry = byCa.get(hex(caBlob)) ?? { caKey, ranges: [], keyIds: new Set<string>() };
  byCa.set(hex(caBlob), entry);
  while (s.remaining > 0) {
    const type = s.byte();
    const sub = new SshReader(s.string('subsection'), 'SSH_KRL_MALFORMED');
    switch (type) {
      case KrlCertSection.serialList:
        while (sub.remaining > 0) {
          const serial = sub.uint64();
          if (serial === 0n) sub.fail('serial zero is never revoked');
          entry.ranges.push({ min: serial, max: serial });
        }
        break;
      case KrlCertSection.serialRange: {
        const min = sub.uint64();
        const max = sub.uint64();
        // krl.c ssh_krl_revoke_cert_by_serial_range: lo > hi or lo == 0 is invalid.
        if (min > max || min === 0n) sub.fail('an empty or zero-based serial range');
        entry.ranges.push({ min, max });
        break;
      }
      case KrlCertSection.serialBitmap: {
        const offset = sub.uint64();
        const bits = sub.mpint('bitmap');
        if (bits.length > MAX_BITMAP_BITS / 8) sub.fail('a bitmap larger than OpenSSH reads');
        bitmapRanges(offset, bits, entry.ranges, sub);
        break;
      }
      case KrlCertSection.keyId:
        while (sub.remaining > 0) entry.keyIds.add(sub.text('key id'));
        break;
      default:
        s.fail(`unknown certificate subsection ${type}`);
    }
    sub.end('subsection');
  }
}

function bitmapRanges(offset: bigint, bits: Uint8Array, out: SerialRange[], r: SshReader): void {
  let runStart = -1;
  const total = bits.length * 8;
  for (let n = 0; n <= total; n++) {
    const set = n < total && (bits[bits.length - 1 - (n >> 3)]! >> (n & 7)) & 1;
    if (set && runStart < 0) runStart = n;
    if (!set && runStart >= 0) {
      const min = offset + BigInt(runStart);
      const max = offset + BigInt(n - 1);
      if (max > 0xffff_ffff_ffff_ffffn) r.fail('a bitmap wraps past the largest serial');
      if (min === 0n) r.fail('serial zero is never revoked');
      out.push({ min, max });
      runStart = -1;
    }
  }
}

function blobs(s: SshReader, into: Set<string>, size: number): void {
  while (s.remaining > 0) {
    const b = s.string('revoked key');
    if (size !== 0 && b.length !== size) s.fail('a fingerprint of the wrong length');
    into.add(hex(b));
  }
}

function mergeRanges(ranges: SerialRange[]): SerialRange[] {
  ranges.sort((a, b) => (a.min < b.min ? -1 : a.min > b.min ? 1 : 0));
  const out: { min: bigint; max: bigint }[] = [];
  for (const r of ranges) {
    const last = out.at(-1);
    if (last && r.min <= last.max + 1n) last.max = r.max > last.max ? r.max : last.max;
    else out.push({ ...r });
  }
  return out;
}

/** Whether the KRL revokes `cert` (krl.c ssh_krl_check_key: by serial or key id for its CA, or its key itself). */
export function krlRevokes(krl: ParsedKrl, cert: Pick<ParsedSshCertificate, 'publicKey' | 'signatureKey' | 'serial' | 'keyId'>): boolean {
  const blob = cert.publicKey.blob;
  if (krl.keys.has(hex(blob)) || krl.sha256s.has(hex(createHash('sha256').update(blob).digest()))) return true;
  if (krl.sha1s.has(hex(createHash('sha1').update(blob).digest()))) return true;
  return krl.certificates.some(
    (c) => (c.caKey === undefined || sameSshKey(c.caKey, cert.signatureKey)) && (c.keyIds.has(cert.keyId) || inRanges(c.serials, cert.serial)),
  );
}

function inRanges(ranges: readonly SerialRange[], serial: bigint): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid]!;
    if (serial < r.min) hi = mid - 1;
    else if (serial > r.max) lo = mid + 1;
    else return true;
  }
  return false;
}
