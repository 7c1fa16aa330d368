import { verify } from 'node:crypto';
import { TrustplaneError } from '../core/errors.ts';
import type { KeyAlgorithm } from '../crypto/key-algorithm.ts';
import type { Signer } from '../crypto/signer.ts';
import { contents, DerError, expectTag, readChildren, readElement } from '../pki/der/der-reader.ts';
import { keyObjectFromSshPublicKey, type SshPublicKey } from './public-key.ts';
import { SshReader, SshWriter } from './ssh-wire.ts';

/**
 * SSH signatures: string(algorithm) string(signature blob). Ed25519's blob is the raw 64 bytes
 * (RFC 8709 §6); ECDSA's is mpint r, mpint s (RFC 5656 §3.1.2), while the Signer port returns
 * DER (RFC 5758 §3.2), so it is converted here; RSA's is raw PKCS#1 v1.5 (RFC 8332 §3).
 */
const signatureNames: Partial<Record<KeyAlgorithm, string>> = {
  ed25519: 'ssh-ed25519',
  'ecdsa-p256': 'ecdsa-sha2-nistp256',
  'ecdsa-p384': 'ecdsa-sha2-nistp384',
  'rsa-3072': 'rsa-sha2-256',
};

/** The algorithms a CA key of ours may have; ML-DSA has no SSH form. */
export function isSshCaAlgorithm(algorithm: KeyAlgorithm): boolean {
  return signatureNames[algorithm] !== undefined;
}

/** Signs `data` with `signer` and returns the SSH signature blob. */
export async function signSsh(signer: Signer, data: Uint8Array): Promise<Uint8Array> {
  const name = signatureNames[signer.algorithm];
  if (!name) throw new TrustplaneError('VALIDATION_FAILED', `A ${signer.algorithm} key cannot sign SSH certificates`);
  const raw = await signer.sign(data);
  const blob = name.startsWith('ecdsa-') ? ecdsaBlobFromDer(raw) : raw;
  return new SshWriter().string(name).string(blob).bytes();
}

/** RFC 3279 §2.2.3 Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } to RFC 5656's mpint pair. */
function ecdsaBlobFromDer(der: Uint8Array): Uint8Array {
  try {
    const seq = expectTag(readElement(der, 0, der.length), 0x30, 'Ecdsa-Sig-Value');
    const [r, s, extra] = readChildren(der, seq);
    if (extra || seq.end !== der.length) throw new DerError('trailing data');
    return new SshWriter()
      .mpint(contents(der, expectTag(r, 0x02, 'r')))
      .mpint(contents(der, expectTag(s, 0x02, 's')))
      .bytes();
  } catch (e) {
    throw new TrustplaneError('INTERNAL', 'The signer returned an ECDSA signature that is not DER', { cause: e });
  }
}

const ecdsaSizes: Record<string, number> = { 'ecdsa-sha2-nistp256': 32, 'ecdsa-sha2-nistp384': 48, 'ecdsa-sha2-nistp521': 66 };
const hashes: Record<string, string | null> = {
  'ssh-ed25519': null,
  'ecdsa-sha2-nistp256': 'sha256',
  'ecdsa-sha2-nistp384': 'sha384',
  'ecdsa-sha2-nistp521': 'sha512',
  'rsa-sha2-256': 'sha256',
  'rsa-sha2-512': 'sha512',
};

/**
 * Whether `signature` (an SSH signature blob, attacker-controlled) is `key`'s over `data`. The
 * algorithm must fit the key: RSA only with SHA-2 (OpenSSH's default CASignatureAlgorithms
 * refuses ssh-rsa's SHA-1). A malformed blob is simply not a valid signature.
 */
export function verifySsh(key: SshPublicKey, signature: Uint8Array, data: Uint8Array): boolean {
  try {
    const r = new SshReader(signature, 'SSH_CERTIFICATE_MALFORMED');
    const name = r.text('signature algorithm');
    const blob = r.string('signature');
    r.end('signature');
    const fits = key.type === 'ssh-rsa' ? name === 'rsa-sha2-256' || name === 'rsa-sha2-512' : name === key.type;
    const hash = hashes[name];
    if (!fits || hash === undefined) return false;
    const publicKey = keyObjectFromSshPublicKey(key);
    const size = ecdsaSizes[name];
    if (size === undefined) return verify(hash, data, publicKey, blob);
    const sig = new SshReader(blob, 'SSH_CERTIFICATE_MALFORMED');
    const rs = Buffer.alloc(2 * size);
    for (const at of [0, size]) {
      const m = sig.mpint();
      if (m.length > size) return false;
      rs.set(m, at + size - m.length);
    }
    sig.end('ECDSA signature');
    return verify(hash, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, rs);
  } catch (e) {
    if (e instanceof TrustplaneError) return false;
    throw e;
  }
}
