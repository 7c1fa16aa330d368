import type { KeyObject } from 'node:crypto';
import { buildCertificationRequest, generateDeviceKeySync } from '../agent/csr-request.ts';
import type { KeyAlgorithm } from '../crypto/key-algorithm.ts';

/**
 * Test kit: makes a PKCS#10 request with Node's crypto, for algorithms the system openssl
 * lacks (ML-DSA-65) and for benchmarks that need thousands of distinct keys quickly.
 * Interop tests use `openssl req` instead, so our own parser is not checked by our own writer.
 * The request is the agent's own (src/agent/csr-request.ts).
 */
export function makeCsr(
  algorithm: KeyAlgorithm,
  options: { key?: { privateKey: KeyObject; publicKey: KeyObject }; commonName?: string } = {},
): {
  der: Uint8Array;
  pem: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
} {
  const key = options.key ?? generateDeviceKeySync(algorithm);
  const { der, pem } = buildCertificationRequest(algorithm, key, options.commonName ?? 'ignored-by-the-ca');
  return { der, pem, privateKey: key.privateKey, publicKey: key.publicKey };
}
