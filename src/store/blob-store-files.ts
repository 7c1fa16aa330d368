import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TrustplaneError } from '../core/errors.ts';
import { BlobHasher, blobRange, isSha256Hex, meteredUpload } from '../updates/blob-digests.ts';
import type { BlobDigests, BlobStore, StoredBlob } from '../updates/blob-store.types.ts';

/** Temp files of uploads running in this process, whichever store instance started them: a sweep leaves them alone. */
const uploadsInFlight = new Set<string>();

/** A temp file whose writer is alive but which is older than this is abandoned all the same (a recycled PID). */
const ABANDONED_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * The blob store of the embedded deployment: files under `<home>/blobs/sha256/<aa>/<hex>`, the
 * SHA-512 and length beside each in `<hex>.digests`. An upload goes to `<home>/blobs/tmp/<pid>-<random>`
 * (the same file system, so the rename is atomic), is fsynced, then renamed into place: a blob
 * is either whole or absent. A crash leaves only a temp file, which `sweep()` (and the first put
 * of a store) removes once its writer's process is gone.
 */
export class FileBlobStore implements BlobStore {
  readonly #root: string;
  #swept = false;

  constructor(homeDir: string) {
    this.#root = join(homeDir, 'blobs');
  }

  async put(source: AsyncIterable<Uint8Array>, options: { maxBytes: number }): Promise<BlobDigests> {
    if (!this.#swept) {
      this.#swept = true;
      await this.sweep();
    }
    const upload = await this.#startUpload();
    try {
      const digests = await writeUpload(upload.handle, source, options.maxBytes);
      await upload.handle.sync();
      await upload.handle.close();
      await this.#publish(upload.path, digests);
      return digests;
    } catch (e) {
      await upload.handle.close().catch(() => undefined);
      await unlinkIfPresent(upload.path);
      throw e;
    } finally {
      uploadsInFlight.delete(upload.path);
    }
  }

  async get(sha256: string): Promise<StoredBlob | undefined> {
    if (!isSha256Hex(sha256)) return undefined;
    const path = this.#blobPath(sha256);
    const size = await stat(path).then((s) => s.size, unlessMissing(undefined));
    if (size === undefined) return undefined;
    const digests = (await this.#recordedDigests(sha256, size)) ?? (await this.#recomputeDigests(path));
    return { digests, read: (range) => readFileRange(path, blobRange(range, digests.length)) };
  }

  async delete(sha256: string): Promise<void> {
    if (!isSha256Hex(sha256)) return;
    await unlinkIfPresent(this.#blobPath(sha256));
    await unlinkIfPresent(this.#digestsPath(sha256));
  }

  /** Removes temp files left by uploads whose process has ended (a crash); returns how many. */
  async sweep(): Promise<number> {
    const tmp = join(this.#root, 'tmp');
    const names = await readdir(tmp).catch(unlessMissing([]));
    let removed = 0;
    for (const name of names) {
      const path = join(tmp, name);
      if (uploadsInFlight.has(path) || (await writerMayBeAlive(name, path))) continue;
      await unlinkIfPresent(path);
      removed++;
    }
    return removed;
  }

  async #startUpload(): Promise<{ path: string; handle: FileHandle }> {
    const tmp = join(this.#root, 'tmp');
    await mkdir(tmp, { recursive: true, mode: 0o700 });
    const path = join(tmp, `${process.pid}-${randomBytes(12).toString('hex')}`);
    uploadsInFlight.add(path);
    try {
      return { path, handle: await open(path, 'wx', 0o600) };
    } catch (e) {
      uploadsInFlight.delete(path);
      throw e;
    }
  }

  /** Digests first, then the blob: a visible blob always has its digests (or `get` recomputes them). */
  async #publish(tempPath: string, digests: BlobDigests): Promise<void> {
    const path = this.#blobPath(digests.sha256);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    if (await exists(path)) {
      await unlink(tempPath); // content-addressed: the same bytes are already here
      return;
    }
    const digestsTemp = `${tempPath}.digests`;
    uploadsInFlight.add(digestsTemp);
    try {
      await writeFile(digestsTemp, JSON.stringify({ sha512: digests.sha512, length: digests.length }), {
        mode: 0o600,
        flush: true,
      });
      await rename(digestsTemp, this.#digestsPath(digests.sha256));
    } finally {
      uploadsInFlight.delete(digestsTemp);
    }
    await rename(tempPath, path);
    await fsyncDirectory(dirname(path));
  }

  async #recordedDigests(sha256: string, size: number): Promise<BlobDigests | undefined> {
    try {
      const recorded = JSON.parse(await readFile(this.#digestsPath(sha256), 'utf8')) as {
        sha512?: unknown;
        length?: unknown;
      };
      if (typeof recorded.sha512 === 'string' && recorded.length === size)
        return { sha256, sha512: recorded.sha512, length: size };
    } catch {
      // missing or torn: recomputed from the blob itself
    }
    return undefined;
  }

  async #recomputeDigests(path: string): Promise<BlobDigests> {
    const hasher = new BlobHasher();
    for await (const piece of createReadStream(path) as AsyncIterable<Buffer>) hasher.update(piece);
    return hasher.digests();
  }

  #blobPath(sha256: string): string {
    return join(this.#root, 'sha256', sha256.slice(0, 2), sha256);
  }

  #digestsPath(sha256: string): string {
    return `${this.#blobPath(sha256)}.digests`;
  }
}

/** Each piece is written before the next is pulled: memory holds one piece, whatever the blob's size. */
async function writeUpload(
  handle: FileHandle,
  source: AsyncIterable<Uint8Array>,
  maxBytes: number,
): Promise<BlobDigests> {
  const hasher = new BlobHasher();
  for await (const piece of meteredUpload(source, maxBytes, hasher)) {
    for (let written = 0; written < piece.byteLength;) {
      written += (await handle.write(piece, written)).bytesWritten;
    }
  }
  return hasher.digests();
}

async function* readFileRange(path: string, { start, end }: { start: number; end: number }): AsyncIterable<Uint8Array> {
  if (start === end) return;
  try {
    yield* createReadStream(path, { start, end: end - 1, highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>;
  } catch (e) {
    if (isMissing(e))
      throw new TrustplaneError('BLOB_NOT_FOUND', 'The blob was deleted while it was read', { cause: e });
    throw e;
  }
}

/** `<pid>-<random>[.digests]`: alive when the PID is (and the file is not ancient). */
async function writerMayBeAlive(name: string, path: string): Promise<boolean> {
  const pid = Number(name.split('-')[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const modified = await stat(path).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  return Date.now() - modified < ABANDONED_AFTER_MS;
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, unlessMissing(false));
}

async function unlinkIfPresent(path: string): Promise<void> {
  await unlink(path).catch(unlessMissing(undefined));
}

/** A rejection handler: `value` when the file is not there, the error again otherwise. */
function unlessMissing<T>(value: T): (e: unknown) => T {
  return (e) => {
    if (isMissing(e)) return value;
    throw e;
  };
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
