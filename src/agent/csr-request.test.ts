import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { keyAlgorithms } from '../crypto/key-algorithm.ts';
import { verifyCsr } from '../pki/csr.ts';
import { buildCertificationRequest, generateDeviceKey } from './csr-request.ts';

const run = promisify(execFile);

test('each key algorithm: a request our CSR check accepts, with the key it was made for', async () => {
  for (const algorithm of keyAlgorithms) {
    const key = await generateDeviceKey(algorithm);
    const csr = buildCertificationRequest(algorithm, key, 'SN-1');
    const verified = verifyCsr(csr.der);
    assert.equal(verified.keyAlgorithm, algorithm);
    assert.deepEqual(Buffer.from(verified.spki), key.publicKey.export({ format: 'der', type: 'spki' }));
  }
});

test('openssl req -verify accepts the requests of the algorithms it knows', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tp-agent-csr-'));
  try {
    for (const algorithm of ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-3072'] as const) {
      const csr = buildCertificationRequest(algorithm, await generateDeviceKey(algorithm), 'SN-1');
      await writeFile(join(dir, `${algorithm}.csr`), csr.pem);
      const { stdout, stderr } = await run('openssl', ['req', '-in', `${algorithm}.csr`, '-verify', '-noout'], {
        cwd: dir,
      });
      assert.match(stdout + stderr, /verify OK/i, algorithm);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
