import { randomBytes } from 'node:crypto';
import { mkdir, open, readlink, rename, rm, symlink, unlink } from 'node:fs/promises';
import { stateError } from './agent-error.ts';
import { basename, dirname, join } from 'node:path';

/**
 * Writes that survive a crash or power cut at any instant: the data goes to a temporary name
 * in the same directory, is fsynced, then renamed over the final name (rename(2) is atomic
 * within a file system); the directory is fsynced so the new entry itself is durable.
 * A reader sees the old file or the whole new one, never a torn one.
 */
export async function writeFileDurably(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const tmp = temporaryName(path);
  const file = await open(tmp, 'wx', mode);
  try {
    await file.writeFile(data);
    // The mode given to open() is masked by the umask; a key must be 0600 whatever the umask.
    await file.chmod(mode);
    await file.sync();
  } catch (e) {
    await file.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await file.close();
  await rename(tmp, path);
  await syncDirectory(dirname(path));
}

/** Points the symlink `link` at `target` by rename(2) over it: readers see the old or the new target. */
export async function switchSymlinkDurably(link: string, target: string): Promise<void> {
  const tmp = temporaryName(link);
  await symlink(target, tmp);
  try {
    await rename(tmp, link);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncDirectory(dirname(link));
}

/** mkdir that is durable once it returns (the parent's entry is fsynced). */
/**
 * Where a `current` symlink points, checked against `pattern` (its one capture is returned);
 * undefined when there is none yet. Anything else is a broken state directory.
 */
export async function readCurrentLink(dir: string, pattern: RegExp, expected: string): Promise<string | undefined> {
  let target: string;
  try {
    target = await readlink(join(dir, 'current'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw stateError(`${dir}/current is not a symlink`, e);
  }
  const m = pattern.exec(target);
  if (!m?.[1]) throw stateError(`${dir}/current points at ${target}, not ${expected}`);
  return m[1];
}

export async function makeDirectoryDurably(path: string, mode = 0o700): Promise<void> {
  await mkdir(path, { mode, recursive: true });
  await syncDirectory(dirname(path));
}

export async function removeTreeDurably(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
  await syncDirectory(dirname(path));
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const TEMPORARY_MARK = '.tmp-';

/** Leftovers of a write cut short; safe to delete at start. */
export function isTemporaryName(name: string): boolean {
  return name.includes(TEMPORARY_MARK);
}

function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}${TEMPORARY_MARK}${process.pid}-${randomBytes(4).toString('hex')}`);
}
