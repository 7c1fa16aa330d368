import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { TrustplaneError } from '../core/errors.ts';
import { keyAlgorithms } from '../crypto/key-algorithm.ts';
import { encodeCsrAttributes, keyAlgorithmFromCsrAttributes } from './csr-attributes.ts';

const run = promisify(execFile);

/** DER made by `openssl asn1parse -genconf`: a writer that is not ours. */
async function opensslGenconf(conf: string): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), 'tp-csrattrs-'));
  try {
    await writeFile(join(dir, 'attrs.cnf'), conf);
    await run('openssl', ['asn1parse', '-genconf', 'attrs.cnf', '-out', 'attrs.der', '-noout'], { cwd: dir });
    return new Uint8Array(await readFile(join(dir, 'attrs.der')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What `openssl asn1parse` prints for a DER blob, one element per line. */
async function opensslDump(der: Uint8Array): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tp-csrattrs-'));
  try {
    await writeFile(join(dir, 'attrs.der'), der);
    const { stdout } = await run('openssl', ['asn1parse', '-inform', 'DER', '-in', 'attrs.der'], { cwd: dir });
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const refused = (e: unknown): boolean => e instanceof TrustplaneError && e.code === 'CSR_ATTRIBUTES_UNSUPPORTED';

describe('CsrAttrs (RFC 7030 §4.5.2)', () => {
  for (const alg of keyAlgorithms) {
    test(`${alg}: round trip`, () => {
      assert.equal(keyAlgorithmFromCsrAttributes(encodeCsrAttributes(alg)), alg);
    });
  }

  test('the encoding is the table of docs/design/enrollment.md, as openssl reads it', async () => {
    const objects = async (alg: (typeof keyAlgorithms)[number]): Promise<string[]> =>
      [...(await opensslDump(encodeCsrAttributes(alg))).matchAll(/(OBJECT|INTEGER)\s+:(\S+)/g)].map((m) => m[2]!);
    assert.deepEqual(await objects('ecdsa-p256'), ['id-ecPublicKey', 'prime256v1', 'ecdsa-with-SHA256']);
    assert.deepEqual(await objects('ecdsa-p384'), ['id-ecPublicKey', 'secp384r1', 'ecdsa-with-SHA384']);
    assert.deepEqual(await objects('ed25519'), ['ED25519']);
    assert.deepEqual(await objects('rsa-3072'), ['rsaEncryption', '0C00', 'sha256WithRSAEncryption']);
    assert.deepEqual(await objects('ml-dsa-65'), ['2.16.840.1.101.3.4.3.18']);
  });

  test('ecdsa-p384 from a CsrAttrs written by openssl asn1parse -genconf', async () => {
    const der = await opensslGenconf(
      [
        'asn1 = SEQUENCE:csrattrs',
        '[csrattrs]',
        'challenge = OID:challengePassword',
        'keytype = SEQUENCE:ec_key',
        'signature = OID:ecdsa-with-SHA384',
        '[ec_key]',
        'type = OID:id-ecPublicKey',
        'values = SET:ec_curve',
        '[ec_curve]',
        'curve = OID:secp384r1',
        '',
      ].join('\n'),
    );
    assert.equal(keyAlgorithmFromCsrAttributes(der), 'ecdsa-p384');
  });

  test('the example of RFC 7030 §4.5.2 (P-384, with challengePassword and an extension request)', () => {
    const rfcExample = 'MEEGCSqGSIb3DQEJBzASBgcqhkjOPQIBMQcGBSuBBAAiMBYGCSqGSIb3DQEJDjEJBgcrBgEBAQEWBggqhkjOPQQDAw==';
    assert.equal(keyAlgorithmFromCsrAttributes(Buffer.from(rfcExample, 'base64')), 'ecdsa-p384');
  });

  test('refuses what names no key type, an unsupported one, or two', async () => {
    const empty = new Uint8Array([0x30, 0x00]);
    assert.throws(() => keyAlgorithmFromCsrAttributes(empty), refused);
    assert.throws(() => keyAlgorithmFromCsrAttributes(new Uint8Array()), refused);
    const p521 = await opensslGenconf(
      'asn1 = SEQUENCE:a\n[a]\nk = SEQUENCE:k\n[k]\nt = OID:id-ecPublicKey\nv = SET:v\n[v]\nc = OID:secp521r1\n',
    );
    assert.throws(() => keyAlgorithmFromCsrAttributes(p521), refused);
    const rsa2048 = await opensslGenconf(
      'asn1 = SEQUENCE:a\n[a]\nk = SEQUENCE:k\n[k]\nt = OID:rsaEncryption\nv = SET:v\n[v]\nn = INTEGER:2048\n',
    );
    assert.throws(() => keyAlgorithmFromCsrAttributes(rsa2048), refused);
    const two = await opensslGenconf('asn1 = SEQUENCE:a\n[a]\ne = OID:ED25519\nm = OID:2.16.840.1.101.3.4.3.18\n');
    assert.throws(() => keyAlgorithmFromCsrAttributes(two), refused);
    const trailing = new Uint8Array([...encodeCsrAttributes('ed25519'), 0x00]);
    assert.throws(() => keyAlgorithmFromCsrAttributes(trailing), refused);
  });
});
