import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as x509 from '@peculiar/asn1-x509';
import { signatureAlgorithmFor, type KeyAlgorithm } from '../crypto/key-algorithm.ts';
import { buildName } from '../pki/names.ts';

/**
 * Test kit: makes a PKCS#10 request with Node's crypto, for algorithms the system openssl
 * lacks (ML-DSA-65) and for benchmarks that need thousands of distinct keys quickly.
 * Interop tests use `openssl req` instead, so our own parser is not checked by our own writer.
 */
export function makeCsr(algorithm: KeyAlgorithm, options: { key?: { privateKey: KeyObject; publicKey: KeyObject }; commonName?: string } = {}): {
  der: Uint8Array;
  pem: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
} {
  const { privateKey, publicKey } = options.key ?? generate(algorithm);
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const info = new CertificationRequestInfo({
    version: 0,
    subject: buildName([{ type: 'commonName', value: options.commonName ?? 'ignored-by-the-ca' }]),
    subjectPKInfo: AsnConvert.parse(spki, x509.SubjectPublicKeyInfo),
  });
  const infoDer = new Uint8Array(AsnConvert.serialize(info));
  const alg = signatureAlgorithmFor[algorithm];
  const key = algorithm.startsWith('ecdsa') ? { key: privateKey, dsaEncoding: 'der' as const } : privateKey;
  const signature = sign(alg.hash, infoDer, key);
  const req = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: new x509.AlgorithmIdentifier(alg.nullParameters ? { algorithm: alg.oid, parameters: null } : { algorithm: alg.oid }),
    signature: new Uint8Array(signature).buffer,
  });
  const der = new Uint8Array(AsnConvert.serialize(req));
  const b64 = Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n');
  return { der, pem: `-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n-----END CERTIFICATE REQUEST-----\n`, privateKey, publicKey };
}

function generate(algorithm: KeyAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (algorithm) {
    case 'ecdsa-p256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'ecdsa-p384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case 'ed25519':
      return generateKeyPairSync('ed25519');
    case 'rsa-3072':
      return generateKeyPairSync('rsa', { modulusLength: 3072 });
    case 'ml-dsa-65':
      return generateKeyPairSync('ml-dsa-65' as 'ed25519');
  }
}
