import {
  createPrivateKey,
  createPublicKey,
  sign,
  type KeyObject,
} from 'node:crypto';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as x509 from '@peculiar/asn1-x509';
import { toPem } from '../core/pem.ts';
import { generateKeyPairFor, generateKeyPairSyncFor, keyAlgorithmOf, signatureAlgorithmFor, type KeyAlgorithm } from '../crypto/key-algorithm.ts';
import { stateError } from './agent-error.ts';
import { buildName } from '../pki/names.ts';

/** A device key pair; the private half never leaves the device (DESIGN rule 4). */
export interface DeviceKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** A signed PKCS#10 request (RFC 2986), DER and PEM. */
export interface CertificationRequestFile {
  readonly der: Uint8Array;
  readonly pem: string;
}

/** Makes a key pair off the event loop (RSA-3072 takes long enough to stall a fleet simulator). */
export function generateDeviceKey(algorithm: KeyAlgorithm): Promise<DeviceKeyPair> {
  return generateKeyPairFor(algorithm);
}

export function generateDeviceKeySync(algorithm: KeyAlgorithm): DeviceKeyPair {
  return generateKeyPairSyncFor(algorithm);
}

/** key.pem's form: PKCS#8, PEM. */
export function privateKeyPem(key: DeviceKeyPair): string {
  return key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** A stored key.pem back as a pair, with its algorithm. */
export function keyPairFromPem(keyPem: string): DeviceKeyPair & { algorithm: KeyAlgorithm } {
  const privateKey = createPrivateKey(keyPem);
  const publicKey = createPublicKey(privateKey);
  const algorithm = keyAlgorithmOf(publicKey);
  if (algorithm === undefined) throw stateError('the stored key is of no algorithm trustplane supports');
  return { privateKey, publicKey, algorithm };
}

/**
 * RFC 2986 §4: a CertificationRequest for `key`, signed with it (proof of possession). The
 * subject is only a label: the CA decides the certificate's subject (DESIGN rule 2).
 */
export function buildCertificationRequest(
  algorithm: KeyAlgorithm,
  key: DeviceKeyPair,
  commonName: string,
): CertificationRequestFile {
  const spki = key.publicKey.export({ format: 'der', type: 'spki' });
  const info = new CertificationRequestInfo({
    version: 0,
    subject: buildName([{ type: 'commonName', value: commonName }]),
    subjectPKInfo: AsnConvert.parse(spki, x509.SubjectPublicKeyInfo),
  });
  const infoDer = new Uint8Array(AsnConvert.serialize(info));
  const alg = signatureAlgorithmFor[algorithm];
  // RFC 5758 §3.2: an ECDSA signature value is the DER Ecdsa-Sig-Value, not IEEE P1363 r||s: Node's default.
  const signature = sign(alg.hash, infoDer, key.privateKey);
  const request = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: new x509.AlgorithmIdentifier(
      alg.nullParameters ? { algorithm: alg.oid, parameters: null } : { algorithm: alg.oid },
    ),
    signature: new Uint8Array(signature).buffer,
  });
  const der = new Uint8Array(AsnConvert.serialize(request));
  return { der, pem: toPem(der, 'CERTIFICATE REQUEST') };
}
