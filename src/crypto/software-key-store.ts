import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, createSign, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { TrustplaneError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Random } from '../core/random.ts';
import type { Clock } from '../core/clock.ts';
import { generateKeyPairFor, signatureAlgorithmFor, type KeyAlgorithm } from './key-algorithm.ts';
import type { KeyStore, Signer } from './signer.ts';

/** A private key as stored: only ever wrapped (AES-256-GCM under the KEK). */
export interface WrappedKeyRecord {
  id: string;
  algorithm: KeyAlgorithm;
  purpose: string;
  spki: Uint8Array;
  /** version(1) ‖ iv(12) ‖ tag(16) ‖ ciphertext of the PKCS#8 DER */
  wrapped: Uint8Array;
  createdAt: Date;
}

/** The storage port this backend needs; store/ fulfils it. */
export interface WrappedKeyRepository {
  insertWrappedKey(record: WrappedKeyRecord): Promise<void>;
  findWrappedKey(id: string): Promise<WrappedKeyRecord | undefined>;
}

const asyncSign = promisify(sign) as (alg: string | null, data: Uint8Array, key: object) => Promise<Buffer>;

const WRAP_VERSION = 1;

export class SoftwareKeyStore implements KeyStore {
  readonly #kek: Buffer;
  readonly #repo: WrappedKeyRepository;
  readonly #random: Random;
  readonly #clock: Clock;
  readonly #cache = new Map<string, Signer>();

  constructor(kek: Uint8Array, repo: WrappedKeyRepository, random: Random, clock: Clock) {
    if (kek.length !== 32) throw new Error('the key-encryption key must be 32 bytes (AES-256)');
    this.#kek = Buffer.from(kek);
    this.#repo = repo;
    this.#random = random;
    this.#clock = clock;
  }

  async generate(algorithm: KeyAlgorithm, purpose: string): Promise<Signer> {
    const { privateKey, publicKey } = await generateKeyPairFor(algorithm);
    const id = newId('key', this.#random);
    const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
    const wrapped = this.#wrap(id, algorithm, pkcs8);
    pkcs8.fill(0);
    await this.#repo.insertWrappedKey({ id, algorithm, purpose, spki, wrapped, createdAt: this.#clock.now() });
    const signer = softwareSigner(id, algorithm, privateKey, spki);
    this.#cache.set(id, signer);
    return signer;
  }

  async signer(keyId: string): Promise<Signer> {
    const cached = this.#cache.get(keyId);
    if (cached) return cached;
    const rec = await this.#repo.findWrappedKey(keyId);
    if (!rec) throw new TrustplaneError('INTERNAL', 'signing key not found', { details: { keyId } });
    const pkcs8 = this.#unwrap(rec);
    const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    pkcs8.fill(0);
    const derived = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }));
    if (Buffer.compare(Buffer.from(derived), Buffer.from(rec.spki)) !== 0) {
      throw new TrustplaneError('INTERNAL', 'stored public key does not match the unwrapped private key');
    }
    const signer = softwareSigner(rec.id, rec.algorithm, privateKey, rec.spki);
    this.#cache.set(keyId, signer);
    return signer;
  }

  // The AAD binds the ciphertext to its key id and algorithm: a wrapped blob moved to another row fails.
  #aad(id: string, algorithm: KeyAlgorithm): Buffer {
    return Buffer.from(`trustplane-key:v${WRAP_VERSION}:${id}:${algorithm}`);
  }

  #wrap(id: string, algorithm: KeyAlgorithm, pkcs8: Buffer): Uint8Array {
    const iv = Buffer.from(this.#random.bytes(12));
    const cipher = createCipheriv('aes-256-gcm', this.#kek, iv);
    cipher.setAAD(this.#aad(id, algorithm));
    const ct = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
    return new Uint8Array(Buffer.concat([Buffer.of(WRAP_VERSION), iv, cipher.getAuthTag(), ct]));
  }

  #unwrap(rec: WrappedKeyRecord): Buffer {
    const w = Buffer.from(rec.wrapped);
    if (w[0] !== WRAP_VERSION || w.length < 29) throw new TrustplaneError('INTERNAL', 'unknown wrapped key format');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#kek, w.subarray(1, 13));
      decipher.setAAD(this.#aad(rec.id, rec.algorithm));
      decipher.setAuthTag(w.subarray(13, 29));
      return Buffer.concat([decipher.update(w.subarray(29)), decipher.final()]);
    } catch (cause) {
      throw new TrustplaneError('INTERNAL', 'cannot unwrap a signing key: wrong TRUSTPLANE_KEK?', { cause });
    }
  }
}

function softwareSigner(keyId: string, algorithm: KeyAlgorithm, key: KeyObject, spki: Uint8Array): Signer {
  const signatureAlgorithm = signatureAlgorithmFor[algorithm];
  // ECDSA signatures in X.509 are DER (RFC 5758 §3.2): Node's default dsaEncoding. The KeyObject
  // goes in alone: an options object ({ key, dsaEncoding }) costs ~12 µs more per signature.
  // Node's async sign runs on the thread pool.
  return {
    keyId,
    algorithm,
    signatureAlgorithm,
    spki,
    sign: async (data) => new Uint8Array(await asyncSign(signatureAlgorithm.hash, data, key)),
    signParts: async (parts) => {
      const { hash } = signatureAlgorithm;
      // Ed25519 and ML-DSA sign the message itself, not a hash of it: they need it whole.
      if (hash === null) return new Uint8Array(await asyncSign(null, Buffer.concat(parts), key));
      const signing = createSign(hash);
      for (const part of parts) signing.update(part);
      return new Uint8Array(signing.sign(key));
    },
  };
}
