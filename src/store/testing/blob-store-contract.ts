// What every BlobStore backend must do (src/updates/blob-store.types.ts), as tests each backend's
// test file runs against its own store: blob-store-files.test.ts, blob-store-postgres.test.ts.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { it } from 'node:test';
import { isTrustplaneError } from '../../core/errors.ts';
import type { BlobStore } from '../../updates/blob-store.types.ts';

export interface BlobStoreUnderTest {
  store: BlobStore;
  /** whatever the backend holds (files, rows): empty when nothing was left behind */
  leftovers: () => Promise<string[]>;
  close: () => Promise<void>;
}

const MiB = 1024 * 1024;

/** Deterministic bytes that are not a repeating pattern (a chunk mix-up changes the digest). */
export function sampleBytes(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** `bytes` as an upload arrives: pieces of an awkward size that straddle every chunk boundary. */
export async function* inPieces(bytes: Uint8Array, pieceBytes = 100_003): AsyncIterable<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += pieceBytes) yield bytes.subarray(at, at + pieceBytes);
  await Promise.resolve();
}

async function* failingAfter(bytes: Uint8Array, failAt: number): AsyncIterable<Uint8Array> {
  for await (const piece of inPieces(bytes.subarray(0, failAt))) yield piece;
  throw new Error('the client went away');
}

async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

const hex = (algorithm: string, bytes: Uint8Array): string => createHash(algorithm).update(bytes).digest('hex');
const hasCode = (code: string) => (e: unknown) => isTrustplaneError(e) && e.code === code;

export function blobStoreContract(open: () => Promise<BlobStoreUnderTest>, options: { memoryCheck: boolean }): void {
  const withStore = (fn: (t: BlobStoreUnderTest) => Promise<void>) => async () => {
    const t = await open();
    try {
      await fn(t);
    } finally {
      await t.close();
    }
  };

  void it(
    'names "abc" by the FIPS 180-2 example digests, however the bytes arrive',
    withStore(async ({ store }) => {
      const digests = await store.put(inPieces(Buffer.from('abc'), 1), { maxBytes: 3 });
      assert.deepEqual(digests, {
        sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
        sha512:
          'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
        length: 3,
      });
    }),
  );

  void it(
    'round-trips a multi-chunk blob, whole and by ranges',
    withStore(async ({ store }) => {
      const bytes = sampleBytes(2 * MiB + MiB / 2 + 7);
      const digests = await store.put(inPieces(bytes), { maxBytes: 3 * MiB });
      assert.deepEqual(digests, {
        sha256: hex('sha256', bytes),
        sha512: hex('sha512', bytes),
        length: bytes.byteLength,
      });
      const blob = await store.get(digests.sha256);
      assert.ok(blob);
      assert.deepEqual(blob.digests, digests);
      assert.ok((await readAll(blob.read())).equals(bytes));
      const len = bytes.byteLength;
      for (const [start, end] of [
        [0, 1],
        [MiB - 3, MiB + 5],
        [MiB, 2 * MiB],
        [17, 2 * MiB + 1],
        [len - 1, len],
        [len, len],
        [5, 5],
        [0, len],
      ] as const) {
        assert.ok(
          (await readAll(blob.read({ start, end }))).equals(bytes.subarray(start, end)),
          `range ${start}..${end}`,
        );
      }
      for (const range of [
        { start: -1, end: 2 },
        { start: 0, end: len + 1 },
        { start: 5, end: 4 },
        { start: 0.5, end: 2 },
      ]) {
        // refused when read() is called, before a byte (or an HTTP status) goes out
        await assert.rejects(
          async () => readAll(blob.read(range)),
          hasCode('BLOB_RANGE_INVALID'),
          JSON.stringify(range),
        );
      }
    }),
  );

  void it(
    'refuses an upload past maxBytes with BLOB_TOO_LARGE and keeps nothing of it',
    withStore(async ({ store, leftovers }) => {
      const bytes = sampleBytes(3 * MiB);
      await assert.rejects(() => store.put(inPieces(bytes), { maxBytes: 3 * MiB - 1 }), hasCode('BLOB_TOO_LARGE'));
      assert.deepEqual(await leftovers(), []);
      assert.equal(await store.get(hex('sha256', bytes)), undefined);
    }),
  );

  void it(
    'keeps nothing of an upload whose source fails halfway',
    withStore(async ({ store, leftovers }) => {
      await assert.rejects(
        () => store.put(failingAfter(sampleBytes(3 * MiB), 3 * MiB - MiB / 2), { maxBytes: 4 * MiB }),
        /the client went away/,
      );
      assert.deepEqual(await leftovers(), []);
    }),
  );

  void it(
    'stores the same bytes once, however often and however concurrently they are put; delete removes them',
    withStore(async ({ store, leftovers }) => {
      const bytes = sampleBytes(MiB + 1, 7);
      const first = await store.put(inPieces(bytes), { maxBytes: 2 * MiB });
      const held = await leftovers();
      assert.deepEqual(await store.put(inPieces(bytes), { maxBytes: 2 * MiB }), first);
      const racing = await Promise.all([1, 2, 3].map(() => store.put(inPieces(bytes, 65_536), { maxBytes: 2 * MiB })));
      assert.deepEqual(racing, [first, first, first]);
      assert.deepEqual(await leftovers(), held);
      assert.ok((await readAll((await store.get(first.sha256))!.read())).equals(bytes));
      await store.delete(first.sha256);
      assert.equal(await store.get(first.sha256), undefined);
      assert.deepEqual(await leftovers(), []);
      await store.delete(first.sha256); // a second delete is a no-op
    }),
  );

  void it(
    'stores an empty blob and knows no blob by a name that is not a SHA-256',
    withStore(async ({ store }) => {
      const empty = await store.put(inPieces(new Uint8Array(0)), { maxBytes: 0 });
      assert.equal(empty.sha256, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
      assert.equal((await readAll((await store.get(empty.sha256))!.read())).byteLength, 0);
      for (const name of ['../../etc/passwd', empty.sha256.toUpperCase(), `${empty.sha256}/`, ''])
        assert.equal(await store.get(name), undefined);
    }),
  );

  if (options.memoryCheck) {
    void it(
      'streams a 256 MiB upload without holding it: the heap grows by a small fraction of it',
      withStore(async ({ store }) => {
        const piece = sampleBytes(MiB, 3);
        const used = () => {
          const m = process.memoryUsage();
          return m.heapUsed + m.arrayBuffers;
        };
        const before = used();
        let peak = 0;
        async function* upload(): AsyncIterable<Uint8Array> {
          for (let i = 0; i < 256; i++) {
            piece[0] = i; // not one repeated MiB: every chunk differs
            if (i % 8 === 0) peak = Math.max(peak, used() - before);
            yield piece;
            await Promise.resolve();
          }
        }
        const digests = await store.put(upload(), { maxBytes: 256 * MiB });
        peak = Math.max(peak, used() - before);
        assert.equal(digests.length, 256 * MiB);
        // loose: garbage not yet collected counts too; holding the upload would be >= 256 MiB
        assert.ok(peak < 64 * MiB, `heap + array buffers grew by ${Math.round(peak / MiB)} MiB`);
        await store.delete(digests.sha256);
      }),
    );
  }
}
