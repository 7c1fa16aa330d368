// verifyCsrAsync checks the signature on Node's thread pool; it must accept and
// refuse exactly what verifyCsr does, with the same codes.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import { TrustplaneError } from '../core/errors.ts';
import { makeCsr } from '../testkit/csr.ts';
import { verifyCsr, verifyCsrAsync } from './csr.ts';

const codeOf = async (f: () => unknown): Promise<string> => {
  try {
    await f();
    return 'accepted';
  } catch (e) {
    return e instanceof TrustplaneError ? e.code : `threw ${String(e)}`;
  }
};

test('verifyCsrAsync: the same result as verifyCsr for a good request', async () => {
  for (const algorithm of ['ecdsa-p256', 'ed25519'] as const) {
    const { der } = makeCsr(algorithm);
    const sync = verifyCsr(der);
    const async = await verifyCsrAsync(der);
    assert.deepEqual(async.spki, sync.spki);
    assert.deepEqual(async.spkiSha256, sync.spkiSha256);
    assert.equal(async.keyAlgorithm, sync.keyAlgorithm);
  }
});

test('verifyCsrAsync: the same refusals as verifyCsr', async () => {
  const { der } = makeCsr('ecdsa-p256');
  const tamperedSignature = der.slice();
  tamperedSignature[tamperedSignature.length - 5]! ^= 0x01;
  // The body of one request with the signature of another: a well-formed signature, the wrong key.
  const swappedRequest = AsnConvert.parse(der, CertificationRequest);
  swappedRequest.signature = AsnConvert.parse(makeCsr('ecdsa-p256').der, CertificationRequest).signature;
  const swapped = new Uint8Array(AsnConvert.serialize(swappedRequest));
  const cases: [string, Uint8Array][] = [
    ['tampered signature', tamperedSignature],
    ['swapped signature', swapped],
    ['not DER', new Uint8Array([1, 2, 3])],
    ['too large', new Uint8Array(20_000)],
  ];
  for (const [name, input] of cases) {
    const sync = await codeOf(() => verifyCsr(input));
    assert.equal(sync, name.endsWith('signature') ? 'CSR_SIGNATURE_INVALID' : 'CSR_MALFORMED', name);
    assert.equal(await codeOf(() => verifyCsrAsync(input)), sync, name);
  }
});
