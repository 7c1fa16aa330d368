import { chmod, readFile, writeFile } from 'node:fs/promises';
import { usageError } from './cli-error.ts';

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
export async function writePublicFile(path: string, contents: string): Promise<void> {
  try {
    await writeFile(path, contents, { mode: 0o644 });
    await chmod(path, 0o644);
  } catch (cause) {
    throw usageError(`cannot write ${path}: ${reason(cause)}`, cause);
  }
}

function reason(e: unknown): string {
  if (e instanceof Error && 'code' in e && typeof e.code === 'string') return e.code;
  return e instanceof Error ? e.message : String(e);
}
