import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import type { DataHome } from './home.ts';

/**
 * The embedded store's owner: one process at a time may open the home's PGlite database
 * (PGlite has no lock of its own; two servers on one home each see only their own writes).
 *
 * The lock is an OS file lock (POSIX fcntl, taken through SQLite's file locking, which Node
 * ships in `node:sqlite`): the kernel releases it when the holder exits, however it exits —
 * SIGKILL, a crash, a power cut. A PID file alone would need a guess about staleness, and PIDs
 * repeat (a server in a container is often PID 1 at every start). The PID file here is only
 * the name a refused second process prints.
 */
export interface HomeLock {
  release(): void;
}

export type LockAttempt = { held: true; lock: HomeLock } | { held: false; holderPid: number | undefined };

const SQLITE_BUSY = 5;

/**
 * Open lock connections, so they stay reachable: a DatabaseSync the garbage collector finalises
 * closes its file, and the kernel then drops the lock while the server still runs.
 */
const openLocks = new Set<DatabaseSync>();

export function lockHome(home: DataHome): LockAttempt {
  const db = new DatabaseSync(home.lockFile, { timeout: 0 });
  try {
    // Held until this connection closes; a second process gets SQLITE_BUSY at once.
    db.exec('BEGIN EXCLUSIVE');
  } catch (e) {
    db.close();
    if (isBusy(e)) return { held: false, holderPid: readHolderPid(home) };
    throw e;
  }
  openLocks.add(db);
  writeFileSync(home.pidFile, `${process.pid}\n`, { mode: 0o600 });
  let released = false;
  return {
    held: true,
    lock: {
      release() {
        if (released) return;
        released = true;
        rmSync(home.pidFile, { force: true });
        openLocks.delete(db);
        db.close();
      },
    },
  };
}

/** The start of the line a refused process prints. */
export function homeInUse(home: DataHome, holderPid: number | undefined): string {
  return `the data home ${home.dir} is in use by ${holderPid === undefined ? 'another process (starting)' : `the trustplane server with PID ${holderPid}`}`;
}

function isBusy(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'errcode' in e && e.errcode === SQLITE_BUSY;
}

/**
 * undefined while the holder has not written it yet (it does just after taking the lock; until
 * then the file may still name a holder that was killed).
 */
function readHolderPid(home: DataHome): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(home.pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  return Number.isSafeInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, under another user
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
