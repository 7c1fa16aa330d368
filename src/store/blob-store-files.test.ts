import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { FileBlobStore } from './blob-store-files.ts';
import { blobStoreContract, inPieces, sampleBytes } from './testing/blob-store-contract.ts';

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  try {
    walk(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return out.sort();
}

function freshHome(): string {
  return mkdtempSync(join(tmpdir(), 'trustplane-blobs-'));
}

/** A PID no process holds now: a child's, after it has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('file blob store', () => {
  blobStoreContract(
    () => {
      const home = freshHome();
      return Promise.resolve({
        store: new FileBlobStore(home),
        leftovers: () => Promise.resolve(filesUnder(join(home, 'blobs'))),
        close: () => Promise.resolve(rmSync(home, { recursive: true, force: true })),
      });
    },
    { memoryCheck: true },
  );

  it('lays blobs out as <home>/blobs/sha256/<aa>/<hex>, with their digests beside them', async () => {
    const home = freshHome();
    try {
      const d = await new FileBlobStore(home).put(inPieces(Buffer.from('abc')), { maxBytes: 3 });
      assert.deepEqual(filesUnder(join(home, 'blobs')), [`sha256/ba/${d.sha256}`, `sha256/ba/${d.sha256}.digests`]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('sweeps the temp file a crashed upload left, and keeps those of live writers', async () => {
    const home = freshHome();
    try {
      const tmp = join(home, 'blobs', 'tmp');
      mkdirSync(tmp, { recursive: true });
      const crashed = `${deadPid()}-0123456789abcdef`;
      const live = `${process.ppid}-fedcba9876543210`;
      writeFileSync(join(tmp, crashed), sampleBytes(1000));
      writeFileSync(join(tmp, live), sampleBytes(1000));
      const store = new FileBlobStore(home);
      assert.equal(await store.sweep(), 1);
      assert.deepEqual(readdirSync(tmp), [live]);
      // and the first put of a store started after a crash sweeps too
      writeFileSync(join(tmp, crashed), sampleBytes(1000));
      const d = await new FileBlobStore(home).put(inPieces(Buffer.from('abc')), { maxBytes: 3 });
      assert.deepEqual(readdirSync(tmp), [live]);
      assert.ok(await store.get(d.sha256));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('recomputes the digests of a blob whose digests file was lost', async () => {
    const home = freshHome();
    try {
      const store = new FileBlobStore(home);
      const bytes = sampleBytes(70_000);
      const d = await store.put(inPieces(bytes), { maxBytes: 70_000 });
      unlinkSync(join(home, 'blobs', 'sha256', d.sha256.slice(0, 2), `${d.sha256}.digests`));
      assert.deepEqual((await store.get(d.sha256))?.digests, d);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
