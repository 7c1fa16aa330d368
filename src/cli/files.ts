import { randomBytes } from 'node:crypto';
import { chmod, link, lstat, open, readFile, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CliError, usageError } from './cli-error.ts';

/** Reads a file the user named; failing to is a usage error (exit 1), not a crash. */
export async function readInputFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw usageError(`cannot read ${what} ${path}: ${reason(cause)}`, cause);
  }
}

/**
 * Writes a certificate or CA chain. 0644: certificates are public, and a mode given to
 * writeFile only applies when the file is new, so an existing file is chmod-ed too.
 */
export async function writePublicFile(path: string, contents: string | Uint8Array): Promise<void> {
  try {
    await writeFile(path, contents, { mode: 0o644 });
    await chmod(path, 0o644);
  } catch (cause) {
    throw usageError(`cannot write ${path}: ${reason(cause)}`, cause);
  }
}

/**
 * A file of secrets (enrollment tokens), mode 0600, that appears whole or not at all. It is made
 * in two steps so a command can find out that it cannot write *before* it asks the server for
 * secrets that exist only in the answer: `prepare` checks the target and creates the temp file
 * beside it; `commit` writes, fsyncs and moves it into place.
 */
export class SecretFile {
  readonly path: string;
  readonly #temp: string;
  readonly #force: boolean;
  #handle: FileHandle | undefined;

  private constructor(path: string, temp: string, force: boolean, handle: FileHandle) {
    this.path = path;
    this.#temp = temp;
    this.#force = force;
    this.#handle = handle;
  }

  /** Without `force`, an existing file (or symlink) at `path` is a usage error. */
  static async prepare(path: string, options: { force: boolean }): Promise<SecretFile> {
    if (!options.force && (await exists(path))) throw usageError(`${path} exists; pass --force to replace it`);
    const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(temp, 'wx', 0o600);
      await handle.chmod(0o600); // the umask can only take bits away, but be exact
      return new SecretFile(path, temp, options.force, handle);
    } catch (cause) {
      throw usageError(`cannot write ${path}: ${reason(cause)}`, cause);
    }
  }

  async commit(contents: string): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) throw new Error(`${this.path}: already committed or discarded`);
    this.#handle = undefined;
    try {
      await handle.writeFile(contents);
      await handle.sync();
      await handle.close();
      await this.#moveIntoPlace();
    } catch (cause) {
      await handle.close().catch(() => undefined);
      await unlink(this.#temp).catch(() => undefined);
      if (cause instanceof CliError) throw cause;
      throw usageError(`cannot write ${this.path}: ${reason(cause)}`, cause);
    }
  }

  async discard(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
    if (handle !== undefined) await unlink(this.#temp).catch(() => undefined);
  }

  async #moveIntoPlace(): Promise<void> {
    if (this.#force) return rename(this.#temp, this.path);
    // link(2) refuses an existing target: a file that appeared since `prepare` is not clobbered.
    try {
      await link(this.#temp, this.path);
    } catch (e) {
      if (reason(e) === 'EEXIST') throw usageError(`${this.path} exists; pass --force to replace it`, e);
      // A file system without hard links: check again, then rename.
      if (await exists(this.path)) throw usageError(`${this.path} exists; pass --force to replace it`, e);
      return rename(this.#temp, this.path);
    }
    await unlink(this.#temp);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (e) {
    if (reason(e) === 'ENOENT') return false;
    throw usageError(`cannot write ${path}: ${reason(e)}`, e);
  }
}

function reason(e: unknown): string {
  if (e instanceof Error && 'code' in e && typeof e.code === 'string') return e.code;
  return e instanceof Error ? e.message : String(e);
}
