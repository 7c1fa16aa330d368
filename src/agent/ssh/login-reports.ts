import { open, readFile, stat } from 'node:fs/promises';
import type { Clock } from '../../core/clock.ts';
import { writeFileDurably } from '../durable-files.ts';
import { MAX_LOGINS_PER_REPORT, type LoginReport, type SshDeviceApi } from './device-ssh-api.ts';

/**
 * Login reports from sshd's own log. With `LogLevel INFO` or above, sshd (auth2-pubkey.c, auth.c)
 * writes one line per certificate login:
 *   Accepted publickey for root from 192.0.2.7 port 50022 ssh2: ED25519-CERT SHA256:… ID alice:grant-7 (serial 7) CA ED25519 SHA256:…
 * to syslog (`/var/log/auth.log`, or the journal forwarded to it) or, with `sshd -E file`, to a
 * file. The agent reads new lines from the file it is given, remembers how far it read (and the
 * file's inode, to notice rotation) in its state directory, and posts what it found. It reads
 * sshd's words, not a wrapper's: nothing on the login path depends on the agent running.
 */
const accepted = /Accepted publickey for (\S+) from (\S+) port (\d+) ssh2: (\S+)-CERT (SHA256:\S+) ID (.+) \(serial (\d+)\) CA (\S+) (SHA256:\S+)\s*$/;
/** RFC 3339 (rsyslog's high-precision format, `journalctl -o short-iso`) or BSD syslog's `Mmm dd HH:MM:SS`. */
const isoStamp = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))\s/;
const bsdStamp = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})\s/;
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Attacker-influenced input (a client chooses its user name): a pass reads at most this much. */
const MAX_READ_BYTES = 4 * 1024 * 1024;

/** One log line as a login report; undefined for any other line. A line without a time stamp is dated `now`. */
export function parseAcceptedLogin(line: string, now: Date): LoginReport | undefined {
  const m = accepted.exec(line);
  if (!m) return undefined;
  const serial = m[7]!;
  if (BigInt(serial) > 0xffff_ffff_ffff_ffffn) return undefined;
  return { keyId: m[6]!, serial, at: stampOf(line, now).toISOString(), source: m[2]! };
}

function stampOf(line: string, now: Date): Date {
  const iso = isoStamp.exec(line);
  if (iso) {
    const at = new Date(iso[1]!);
    if (!Number.isNaN(at.getTime())) return at;
  }
  const bsd = bsdStamp.exec(line);
  const month = bsd ? months.indexOf(bsd[1]!) : -1;
  if (bsd && month >= 0) {
    // BSD syslog has no year (RFC 3164 §4.1.2): this year's, unless that is in the future.
    const at = new Date(Date.UTC(now.getUTCFullYear(), month, Number(bsd[2]), Number(bsd[3]), Number(bsd[4]), Number(bsd[5])));
    if (at.getTime() > now.getTime() + 86_400_000) at.setUTCFullYear(at.getUTCFullYear() - 1);
    return at;
  }
  return now;
}

interface ReadPosition {
  readonly inode: number;
  readonly offset: number;
}

async function readPosition(file: string): Promise<ReadPosition | undefined> {
  try {
    const p = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    if (Number.isSafeInteger(p.inode) && Number.isSafeInteger(p.offset) && (p.offset as number) >= 0) return { inode: p.inode as number, offset: p.offset as number };
  } catch {
    // no position yet, or a torn one: start from the beginning (the server ignores repeats)
  }
  return undefined;
}

/**
 * Reads sshd's log from where the last pass stopped, and reports the certificate logins in it.
 * The position is saved only after the server has taken every report: a lost answer means the
 * same logins are sent again, and the server ignores repeats (contract: same serial, at, source).
 */
export async function reportSshLogins(o: { api: SshDeviceApi; logFile: string; positionFile: string; clock: Clock; log: (line: string) => void }): Promise<{ reported: number }> {
  const info = await stat(o.logFile);
  const held = await readPosition(o.positionFile);
  // A new inode, or a file shorter than where we were: the log was rotated; read the new one whole.
  const from = held && held.inode === info.ino && held.offset <= info.size ? held.offset : 0;
  const length = Math.min(info.size - from, MAX_READ_BYTES);
  const buffer = Buffer.alloc(length);
  const handle = await open(o.logFile, 'r');
  try {
    await handle.read(buffer, 0, length, from);
  } finally {
    await handle.close();
  }
  // Whole lines only (sshd may be writing the next one); a full buffer without one is skipped whole.
  const newline = buffer.lastIndexOf(0x0a) + 1;
  const end = newline === 0 && length === MAX_READ_BYTES ? length : newline;
  const now = o.clock.now();
  const logins = buffer
    .subarray(0, end)
    .toString('utf8')
    .split('\n')
    .map((line) => parseAcceptedLogin(line, now))
    .filter((l): l is LoginReport => l !== undefined);
  for (let i = 0; i < logins.length; i += MAX_LOGINS_PER_REPORT) await o.api.reportLogins(logins.slice(i, i + MAX_LOGINS_PER_REPORT));
  if (end > 0 || held?.inode !== info.ino) await writeFileDurably(o.positionFile, `${JSON.stringify({ inode: info.ino, offset: from + end })}\n`, 0o600);
  if (logins.length > 0) o.log(`ssh: reported ${logins.length} login(s) from ${o.logFile}`);
  return { reported: logins.length };
}
