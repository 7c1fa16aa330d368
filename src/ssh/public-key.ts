import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { TrustplaneError } from '../core/errors.ts';
import { decodeBase64Strict, encodeBase64 } from '../ledger/strict-base64.ts';
import { SshReader, SshWriter } from './ssh-wire.ts';

/**
 * SSH public keys (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4, OpenSSH PROTOCOL.u2f): the wire
 * blob, its `authorized_keys` line, its SHA-256 fingerprint, and the Node KeyObject that verifies
 * with it. The key types are the ones OpenSSH 9 certifies and a technician is likely to hold:
 * Ed25519, ECDSA P-256/384/521, RSA of 2048 bits or more, and the two FIDO (sk-) kinds.
 */
export const sshKeyTypes = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;
export type SshKeyType = (typeof sshKeyTypes)[number];

/** The shape docs/design/ssh-contract.md fixes. `type` is the wire name (`ssh-rsa` for RSA keys). */
export interface SshPublicKey {
  readonly type: string;
  /** string(type) followed by the key's fields: what certificates, KRLs and fingerprints carry. */
  readonly blob: Buffer;
  readonly comment?: string;
}

/** The key's fields alone (the blob after its type name): a certificate embeds these after its nonce. */
export function keyFields(key: Pick<SshPublicKey, 'blob'>): Uint8Array {
  return key.blob.subarray(4 + key.blob.readUInt32BE(0));
}

/** Attacker-controlled input: no key we accept is near this (RSA-16384 is ~2.9 KB of base64). */
export const MAX_PUBLIC_KEY_LINE_BYTES = 16 * 1024;
const MIN_RSA_BITS = 2048;

const curves = {
  nistp256: { jwk: 'P-256', pointBytes: 65 },
  nistp384: { jwk: 'P-384', pointBytes: 97 },
  nistp521: { jwk: 'P-521', pointBytes: 133 },
} as const;

/**
 * Reads one key's fields for `type` from `r` (a key blob after its name, or a certificate after
 * its nonce), checking each one as OpenSSH's sshkey_from_blob does. Returns nothing: the caller
 * slices the bytes it read.
 */
export function readKeyFields(r: SshReader, type: SshKeyType): void {
  switch (type) {
    case 'ssh-ed25519':
    case 'sk-ssh-ed25519@openssh.com':
      if (r.string('Ed25519 key').length !== 32) r.fail('an Ed25519 key is 32 bytes');
      break;
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521':
    case 'sk-ecdsa-sha2-nistp256@openssh.com': {
      const curve = type.startsWith('sk-') ? 'nistp256' : (type.slice('ecdsa-sha2-'.length) as keyof typeof curves);
      if (r.text('curve name') !== curve) r.fail('the curve name does not match the key type');
      const q = r.string('EC point');
      // SEC 1 §2.3.3: uncompressed points only, as OpenSSH writes them; on the curve, or Node refuses.
      if (q.length !== curves[curve].pointBytes || q[0] !== 0x04) r.fail('not an uncompressed point of the curve');
      try {
        ecKeyObject(curve, q);
      } catch {
        r.fail('the point is not on the curve');
      }
      break;
    }
    case 'ssh-rsa': {
      const e = r.mpint('RSA exponent');
      const n = r.mpint('RSA modulus');
      if (e.length === 0 || !(e[e.length - 1]! & 1) || (e.length === 1 && e[0]! < 3)) r.fail('the RSA exponent is not an odd number above 1');
      if (n.length * 8 - Math.clz32(n[0] ?? 0) + 24 < MIN_RSA_BITS) r.fail(`the RSA modulus is shorter than ${MIN_RSA_BITS} bits`);
      break;
    }
  }
  if (type.startsWith('sk-')) r.text('FIDO application');
}

function isSshKeyType(s: string): s is SshKeyType {
  return (sshKeyTypes as readonly string[]).includes(s);
}

/**
 * An SSH public key blob (RFC 4253 §6.6), checked; certificates and unknown or weak types are
 * refused. Attacker-controlled: anything bad is SSH_PUBLIC_KEY_INVALID.
 */
export function parseSshPublicKeyBlob(blob: Uint8Array): SshPublicKey {
  const r = new SshReader(blob, 'SSH_PUBLIC_KEY_INVALID');
  const type = r.text('key type');
  if (!isSshKeyType(type)) return r.fail(`unsupported key type ${type.slice(0, 64)}`);
  readKeyFields(r, type);
  r.end('key');
  return { type, blob: Buffer.from(blob) };
}

/** An `authorized_keys`-style line: `type base64 [comment]`, no options. Attacker-controlled. */
export function parseSshPublicKey(line: string): SshPublicKey {
  const { type, blob, comment } = splitKeyLine(line, 'SSH_PUBLIC_KEY_INVALID', MAX_PUBLIC_KEY_LINE_BYTES);
  const key = parseSshPublicKeyBlob(blob);
  if (key.type !== type) throw new TrustplaneError('SSH_PUBLIC_KEY_INVALID', 'The key type named on the line is not the blob’s');
  return comment === undefined ? key : { ...key, comment };
}

/** Splits `type base64 [comment]`; shared with certificate lines. */
export function splitKeyLine(line: string, code: 'SSH_PUBLIC_KEY_INVALID' | 'SSH_CERTIFICATE_MALFORMED', maxBytes: number): { type: string; blob: Uint8Array; comment?: string } {
  if (line.length > maxBytes) throw new TrustplaneError(code, undefined, { details: { reason: 'too long' } });
  // Patterns whose parts cannot overlap, so matching stays linear in the line's length (no ReDoS).
  const m = /^[ \t]*(\S+)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line.replace(/\r?\n$/, ''));
  const blob = m && /^[A-Za-z0-9@.-]{1,64}$/.test(m[1]!) ? decodeBase64Strict(m[2]!) : undefined;
  if (!m || !blob) throw new TrustplaneError(code, undefined, { details: { reason: 'not a `type base64 [comment]` line' } });
  const comment = m[3]?.trimEnd();
  return comment ? { type: m[1]!, blob, comment } : { type: m[1]!, blob };
}

/** One line, no newline; `comment` defaults to the key's own. */
export function formatSshPublicKey(key: SshPublicKey, comment = key.comment): string {
  return `${key.type} ${encodeBase64(key.blob)}${comment ? ` ${comment}` : ''}`;
}

/** OpenSSH's default fingerprint (ssh-keygen -l): SHA256 of the blob, unpadded base64. */
export function sshFingerprint(key: Pick<SshPublicKey, 'blob'>): string {
  return `SHA256:${createHash('sha256').update(key.blob).digest('base64').replace(/=+$/, '')}`;
}

export function sameSshKey(a: Pick<SshPublicKey, 'blob'>, b: Pick<SshPublicKey, 'blob'>): boolean {
  return a.blob.equals(b.blob);
}

/** The SSH form of a Node public key (a Signer's SPKI): how our CA keys are named on the wire. */
export function sshPublicKeyFromKeyObject(key: KeyObject): SshPublicKey {
  const w = new SshWriter();
  const jwk = key.export({ format: 'jwk' });
  const b64url = (s: string | undefined): Uint8Array => new Uint8Array(Buffer.from(s ?? '', 'base64url'));
  if (key.asymmetricKeyType === 'ed25519') {
    w.string('ssh-ed25519').string(b64url(jwk.x));
  } else if (key.asymmetricKeyType === 'ec') {
    const curve = (Object.keys(curves) as (keyof typeof curves)[]).find((c) => curves[c].jwk === jwk.crv);
    if (!curve) throw new TrustplaneError('SSH_PUBLIC_KEY_INVALID', `No SSH name for curve ${jwk.crv}`);
    w.string(`ecdsa-sha2-${curve}`).string(curve).string(Buffer.concat([Uint8Array.of(4), b64url(jwk.x), b64url(jwk.y)]));
  } else if (key.asymmetricKeyType === 'rsa') {
    w.string('ssh-rsa').mpint(b64url(jwk.e)).mpint(b64url(jwk.n));
  } else {
    throw new TrustplaneError('SSH_PUBLIC_KEY_INVALID', `No SSH form for ${key.asymmetricKeyType} keys`);
  }
  return parseSshPublicKeyBlob(w.bytes());
}

export function sshPublicKeyFromSpki(spki: Uint8Array): SshPublicKey {
  return sshPublicKeyFromKeyObject(createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }));
}

/** The Node key that verifies signatures made by `key` (CA keys: Ed25519, ECDSA, RSA; not FIDO keys). */
export function keyObjectFromSshPublicKey(key: SshPublicKey): KeyObject {
  const r = new SshReader(keyFields(key), 'SSH_PUBLIC_KEY_INVALID');
  switch (key.type) {
    case 'ssh-ed25519':
      return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(r.string()).toString('base64url') }, format: 'jwk' });
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521': {
      const curve = r.text() as keyof typeof curves;
      return ecKeyObject(curve, r.string());
    }
    case 'ssh-rsa': {
      const e = r.mpint();
      const n = r.mpint();
      return createPublicKey({ key: { kty: 'RSA', e: Buffer.from(e).toString('base64url'), n: Buffer.from(n).toString('base64url') }, format: 'jwk' });
    }
    default:
      throw new TrustplaneError('SSH_PUBLIC_KEY_INVALID', `${key.type} keys do not sign certificates here`);
  }
}

function ecKeyObject(curve: keyof typeof curves, q: Uint8Array): KeyObject {
  const half = (q.length - 1) / 2;
  const coord = (from: number): string => Buffer.from(q.subarray(from, from + half)).toString('base64url');
  return createPublicKey({ key: { kty: 'EC', crv: curves[curve].jwk, x: coord(1), y: coord(1 + half) }, format: 'jwk' });
}
