import { createPublicKey, generateKeyPair, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { toPem } from '../core/pem.ts';

/** The key algorithms trustplane issues for and signs with. */
export const keyAlgorithms = ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-3072', 'ml-dsa-65'] as const;
export type KeyAlgorithm = (typeof keyAlgorithms)[number];

export function isKeyAlgorithm(s: unknown): s is KeyAlgorithm {
  return typeof s === 'string' && (keyAlgorithms as readonly string[]).includes(s);
}

export interface SignatureAlgorithm {
  /** OID of the AlgorithmIdentifier written into certificates, CRLs and OCSP responses. */
  readonly oid: string;
  /** RFC 4055 / RFC 5754: RSA PKCS#1 v1.5 identifiers carry NULL parameters; ECDSA, EdDSA and ML-DSA carry none. */
  readonly nullParameters: boolean;
  /** Digest passed to Node's crypto.sign; null for one-shot algorithms (Ed25519, ML-DSA). */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
}

/** The signature algorithm a key of each kind signs with (RFC 5758, RFC 8410, RFC 4055, FIPS 204 / RFC 9881). */
export const signatureAlgorithmFor: Record<KeyAlgorithm, SignatureAlgorithm> = {
  'ecdsa-p256': { oid: '1.2.840.10045.4.3.2', nullParameters: false, hash: 'sha256' },
  'ecdsa-p384': { oid: '1.2.840.10045.4.3.3', nullParameters: false, hash: 'sha384' },
  ed25519: { oid: '1.3.101.112', nullParameters: false, hash: null },
  'rsa-3072': { oid: '1.2.840.113549.1.1.11', nullParameters: true, hash: 'sha256' },
  'ml-dsa-65': { oid: '2.16.840.1.101.3.4.3.18', nullParameters: false, hash: null },
};

/** RFC 5480 §2.1.1.1: the namedCurve OID each EC algorithm's keys carry in their SPKI parameters. */
export const namedCurveOid = { 'ecdsa-p256': '1.2.840.10045.3.1.7', 'ecdsa-p384': '1.3.132.0.34' } as const;

/** Signature algorithms accepted on attacker-supplied input (CSR signatures), by OID. */
export const acceptedSignatureAlgorithms: ReadonlyMap<string, { hash: SignatureAlgorithm['hash'] }> = new Map([
  ['1.2.840.10045.4.3.2', { hash: 'sha256' }],
  ['1.2.840.10045.4.3.3', { hash: 'sha384' }],
  ['1.2.840.10045.4.3.4', { hash: 'sha512' }],
  ['1.2.840.113549.1.1.11', { hash: 'sha256' }],
  ['1.2.840.113549.1.1.12', { hash: 'sha384' }],
  ['1.2.840.113549.1.1.13', { hash: 'sha512' }],
  ['1.3.101.112', { hash: null }],
  ['2.16.840.1.101.3.4.3.18', { hash: null }],
]);

/** Names the algorithm of a public key, or undefined if it is none we support. */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm | undefined {
  const d = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'ec':
      if (d?.namedCurve === 'prime256v1') return 'ecdsa-p256';
      if (d?.namedCurve === 'secp384r1') return 'ecdsa-p384';
      return undefined;
    case 'ed25519':
      return 'ed25519';
    case 'rsa':
      return d?.modulusLength === 3072 ? 'rsa-3072' : undefined;
    case 'ml-dsa-65':
      return 'ml-dsa-65';
    default:
      return undefined;
  }
}

/**
 * An SPKI's key, handed to Node as PEM text: the same key as `{ key, format: 'der', type: 'spki' }`
 * gives, but that object argument first fails two brand checks (KeyObject, CryptoKey) that cost
 * about 20 µs, most of the import and ~7 % of a CSR check.
 */
export function publicKeyFromSpki(spki: Uint8Array): KeyObject {
  return createPublicKey(toPem(spki, 'PUBLIC KEY'));
}

/** Node's generator name and options for each algorithm (ML-DSA-65 is untyped in @types/node). */
const generatorArgs: Record<KeyAlgorithm, [string, object]> = {
  'ecdsa-p256': ['ec', { namedCurve: 'P-256' }],
  'ecdsa-p384': ['ec', { namedCurve: 'P-384' }],
  ed25519: ['ed25519', {}],
  'rsa-3072': ['rsa', { modulusLength: 3072 }],
  'ml-dsa-65': ['ml-dsa-65', {}],
};

const generate = promisify(generateKeyPair) as (type: string, options: object) => Promise<{ privateKey: KeyObject; publicKey: KeyObject }>;

/** A new key pair, made on Node's thread pool (RSA-3072 would otherwise stall the event loop). */
export function generateKeyPairFor(algorithm: KeyAlgorithm): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  const [type, options] = generatorArgs[algorithm];
  return generate(type, options);
}

/** The same, on the calling thread (test kits and one-off tools). */
export function generateKeyPairSyncFor(algorithm: KeyAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  const [type, options] = generatorArgs[algorithm];
  return (generateKeyPairSync as (type: string, options: object) => { privateKey: KeyObject; publicKey: KeyObject })(type, options);
}
