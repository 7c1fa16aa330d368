import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AgentError } from '../agent-error.ts';
import { SlotStore } from './slot-store.ts';
import { UpdateStore } from './update-store.ts';
import type { SlotRelease, UpdateTrust } from './update.types.ts';

const base = await mkdtemp(join(tmpdir(), 'tp-update-store-'));
after(() => rm(base, { recursive: true, force: true }));
const trust: UpdateTrust = {
  product: 'GW',
  repository: 'http://x/tuf/GW',
  root: { signed: { version: 1 } },
  manifestKeys: { ed25519: 'AA==', mlDsa65: 'AA==' },
};
const digest = (alg: string, b: Uint8Array) => new Uint8Array(createHash(alg).update(b).digest());
const release = (version: string, securityVersion: number): SlotRelease => ({
  releaseId: `rel_${version}`,
  rolloutId: 'ro',
  targetName: `fw/${version}`,
  version,
  securityVersion,
  kind: 'firmware',
  length: 1,
  sha256: '',
  stagedAt: '',
});

describe('update state', () => {
  it('stores the trust once and seeds the TUF root from it', async () => {
    const store = new UpdateStore(await mkdtemp(join(base, 's-')));
    await store.prepare();
    assert.equal(await store.readTrust(), undefined);
    await store.storeTrustOnce(trust);
    assert.deepEqual(await store.readTrust(), trust);
    await assert.rejects(store.storeTrustOnce({ ...trust, repository: 'http://evil/tuf/GW' }), {
      code: 'STATE_INVALID',
    });
    await store.seedTrustedRoot(trust);
    await store.copyTrustedMetadataToWork();
    assert.deepEqual(await readdir(store.tufWorkDir), ['root.json']);
  });

  it('the highest security version only ever rises', async () => {
    const store = new UpdateStore(await mkdtemp(join(base, 's-')));
    await store.prepare();
    assert.equal(await store.highestSecurityVersion(), 0);
    assert.equal(await store.raiseSecurityVersion(7), 7);
    assert.equal(await store.raiseSecurityVersion(3), 7);
    assert.equal(await store.highestSecurityVersion(), 7);
  });

  it('stages into the inactive slot, refuses an image that is not the expected one, switches atomically', async () => {
    const store = new UpdateStore(await mkdtemp(join(base, 's-')));
    await store.prepare();
    const slots = new SlotStore(store.dir);
    const image = new TextEncoder().encode('firmware bytes');
    const source = join(base, 'image.bin');
    await writeFile(source, image);
    const expected = { length: image.length, sha256: digest('sha256', image), sha512: digest('sha512', image) };
    assert.equal(await slots.installed(), undefined);
    assert.equal(await slots.inactiveSlot(), 'a');
    await slots.emptySlot('a');
    await assert.rejects(
      slots.writeImage('a', source, { ...expected, length: image.length - 1 }),
      (e: unknown) => e instanceof AgentError && e.code === 'IMAGE_DIGEST_MISMATCH',
    );
    await assert.rejects(slots.writeImage('a', source, { ...expected, sha512: new Uint8Array(64) }), {
      code: 'IMAGE_DIGEST_MISMATCH',
    });
    assert.deepEqual(await readdir(slots.slotDir('a')), [], 'nothing left under any name');
    await slots.writeImage('a', source, expected);
    await slots.writeRelease('a', release('1.0', 3));
    await slots.switchCurrent('a');
    assert.equal(await readlink(join(store.dir, 'current')), 'slots/a');
    assert.equal((await slots.installed())?.version, '1.0');
    assert.equal(await slots.inactiveSlot(), 'b');
    await assert.rejects(slots.emptySlot('a'), { code: 'STATE_INVALID' }, 'the current slot is never staged over');
  });
});
