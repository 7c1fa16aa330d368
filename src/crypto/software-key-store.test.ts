import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { systemRandom } from '../core/random.ts';
import { systemClock } from '../core/clock.ts';
import { keyAlgorithms } from './key-algorithm.ts';
import { SoftwareKeyStore, type WrappedKeyRecord, type WrappedKeyRepository } from './software-key-store.ts';

class MemoryKeys implements WrappedKeyRepository {
  readonly rows = new Map<string, WrappedKeyRecord>();
  insertWrappedKey(r: WrappedKeyRecord): Promise<void> {
    this.rows.set(r.id, structuredClone(r));
    return Promise.resolve();
  }
  findWrappedKey(id: string): Promise<WrappedKeyRecord | undefined> {
    return Promise.resolve(this.rows.get(id));
  }
}

const kek = new Uint8Array(32).fill(1);

describe('software key store', () => {
  for (const alg of keyAlgorithms) {
    it(`${alg}: generates, wraps, reloads and signs verifiably`, async () => {
      const repo = new MemoryKeys();
      const signer = await new SoftwareKeyStore(kek, repo, systemRandom, systemClock).generate(alg, 'test');
      // a second store instance (a restart) reads the key back from its wrapped row
      const reloaded = await new SoftwareKeyStore(kek, repo, systemRandom, systemClock).signer(signer.keyId);
      const data = new TextEncoder().encode('tbs bytes');
      const sig = await reloaded.sign(data);
      const pub = createPublicKey({ key: Buffer.from(signer.spki), format: 'der', type: 'spki' });
      const key = alg.startsWith('ecdsa') ? { key: pub, dsaEncoding: 'der' as const } : pub;
      assert.ok(verify(signer.signatureAlgorithm.hash, data, key, sig));
      const row = repo.rows.get(signer.keyId)!;
      assert.ok(!Buffer.from(row.wrapped).toString('latin1').includes('PRIVATE'), 'only ciphertext is stored');
    });
  }

  it('refuses another KEK, a tampered blob and a blob moved to another key id', async () => {
    const repo = new MemoryKeys();
    const signer = await new SoftwareKeyStore(kek, repo, systemRandom, systemClock).generate('ecdsa-p256', 'test');
    await assert.rejects(new SoftwareKeyStore(new Uint8Array(32).fill(2), repo, systemRandom, systemClock).signer(signer.keyId), /cannot unwrap/);
    const row = repo.rows.get(signer.keyId)!;
    row.wrapped[40] = (row.wrapped[40] ?? 0) ^ 1;
    await assert.rejects(new SoftwareKeyStore(kek, repo, systemRandom, systemClock).signer(signer.keyId), /cannot unwrap/);
    row.wrapped[40] = (row.wrapped[40] ?? 0) ^ 1;
    repo.rows.set('key_moved', { ...row, id: 'key_moved' });
    await assert.rejects(new SoftwareKeyStore(kek, repo, systemRandom, systemClock).signer('key_moved'), /cannot unwrap/);
  });

  it('insists on a 256-bit KEK', () => {
    assert.throws(() => new SoftwareKeyStore(new Uint8Array(16), new MemoryKeys(), systemRandom, systemClock), /32 bytes/);
  });
});
