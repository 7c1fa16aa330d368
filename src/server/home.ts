import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from './config.ts';

/** The data home: the embedded database, the key-encryption key file, the bootstrap token file, the lock. */
export interface DataHome {
  dir: string;
  databaseDir: string;
  tokenFile: string;
  /** held by the one server on the embedded store (home-lock.ts) */
  lockFile: string;
  /** the lock holder's PID, for the message a refused second server prints */
  pidFile: string;
  /** whether the directory exists (before `createHome`) */
  exists: boolean;
}

/** The home's paths; touches nothing, so a start that fails early leaves no trace. */
export function locateHome(dir: string): DataHome {
  const abs = resolve(dir);
  return {
    dir: abs,
    databaseDir: join(abs, 'db'),
    tokenFile: join(abs, 'admin-token'),
    lockFile: join(abs, 'serve.lock'),
    pidFile: join(abs, 'serve.pid'),
    exists: existsSync(abs),
  };
}

/** Creates the home directory (0700) if it is missing; true when this call made it. */
export function createHome(home: DataHome): boolean {
  if (existsSync(home.dir)) return false;
  mkdirSync(home.dir, { recursive: true, mode: 0o700 });
  return true;
}

/** Undoes `createHome` for a first start that failed: a half-made home would look like a real one next time. */
export function removeHome(home: DataHome): void {
  rmSync(home.dir, { recursive: true, force: true });
}

/**
 * The key-encryption key: TRUSTPLANE_KEK (base64 of 32 bytes) or a generated key file with
 * mode 0600 in the home. Losing it loses every CA key: say so where it is made.
 */
export function loadKek(home: DataHome, kekBase64: string | undefined): { kek: Uint8Array; source: string } {
  if (kekBase64 !== undefined) {
    const kek = Buffer.from(kekBase64, 'base64');
    if (kek.length !== 32) throw new ConfigError('TRUSTPLANE_KEK must be the base64 encoding of 32 bytes');
    return { kek: new Uint8Array(kek), source: 'TRUSTPLANE_KEK' };
  }
  const file = join(home.dir, 'kek');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  const kek = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (kek.length !== 32) throw new ConfigError(`${file} does not hold a 32-byte base64 key`);
  return { kek: new Uint8Array(kek), source: file };
}

export function writeTokenFile(home: DataHome, secret: string): void {
  writeFileSync(home.tokenFile, secret + '\n', { mode: 0o600 });
  chmodSync(home.tokenFile, 0o600);
}
