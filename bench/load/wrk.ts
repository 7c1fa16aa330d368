// wrk (https://github.com/wg/wrk, Debian package `wrk`) as the load generator of a scenario:
// C, epoll, open connections held by `threads` threads, each connection sending its next request
// as soon as the last answer arrived (closed loop), reconnecting when the server closes. The
// requests are the bodies of a file, POSTed in turn by load/wrk-bodies.lua, which also checks
// each answer and prints the figures as one JSON line.
import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Throughput } from '../stats.ts';

const SCRIPT = fileURLToPath(new URL('./wrk-bodies.lua', import.meta.url));

/** wrk's default is 2 s; a device's OCSP check would wait longer than that. */
export const WRK_TIMEOUT_SECONDS = 5;

export interface WrkOptions {
  /** Where to POST, e.g. http://127.0.0.1:41234/pki/<caId>/ocsp */
  url: string;
  /** Written by `writeBodiesFile`. */
  bodiesFile: string;
  contentType: string;
  threads: number;
  connections: number;
  seconds: number;
  /** An answer slower than this counts as a timeout error (wrk's --timeout); default WRK_TIMEOUT_SECONDS. */
  timeoutSeconds?: number;
}

/** What wrk-bodies.lua's done() prints. */
interface WrkSummary {
  requests: number;
  durationUs: number;
  connect: number;
  read: number;
  write: number;
  /** HTTP status >= 400 */
  status: number;
  timeout: number;
  /** HTTP < 400 whose body is not a successful OCSPResponse */
  unsuccessful: number;
  p50Us: number;
  p99Us: number;
}

/** True when a `wrk` binary is on PATH (`wrk --version` prints "wrk <version> …" and exits 1). */
export function wrkInstalled(): Promise<boolean> {
  return new Promise((resolve) =>
    execFile('wrk', ['--version'], (_error, stdout) => resolve(stdout.startsWith('wrk '))),
  );
}

/** The format wrk-bodies.lua reads: each body after its length as 2 bytes, big-endian. */
export async function writeBodiesFile(path: string, bodies: readonly Uint8Array[]): Promise<void> {
  const parts: Uint8Array[] = [];
  for (const body of bodies) {
    if (body.length > 0xffff) throw new Error(`a request body of ${body.length} bytes does not fit the bodies file`);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(body.length);
    parts.push(length, body);
  }
  await writeFile(path, Buffer.concat(parts));
}

/**
 * One wrk run. count: answers that were not errors; errors: socket errors (connect, read, write),
 * timeouts, HTTP statuses >= 400 and unsuccessful OCSP answers. Latency percentiles are wrk's
 * (all completed requests, from the request's first byte written to the answer's last read;
 * connection set-up is not in them).
 */
export async function runWrk(o: WrkOptions): Promise<Throughput> {
  const url = new URL(o.url);
  const args = [
    `-t${o.threads}`,
    `-c${o.connections}`,
    `-d${o.seconds}s`,
    `--timeout`,
    `${o.timeoutSeconds ?? WRK_TIMEOUT_SECONDS}s`,
    '--latency',
    '-s',
    SCRIPT,
    `${url.protocol}//${url.host}/`,
    '--',
    o.bodiesFile,
    url.pathname + url.search,
    o.contentType,
    String(o.threads),
  ];
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.on('error', reject);
      child.on('close', (status) => resolve({ code: status, stdout: out, stderr: err }));
    },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('{"requests"'));
  if (code !== 0 || line === undefined)
    throw new Error(`wrk ${args.join(' ')} failed (${String(code)}): ${stderr.trim() || stdout.trim()}`);
  return throughput(JSON.parse(line) as WrkSummary);
}

function throughput(s: WrkSummary): Throughput {
  const seconds = s.durationUs / 1e6;
  const failed = s.status + s.unsuccessful;
  const count = Math.max(0, s.requests - failed);
  const errors = s.connect + s.read + s.write + s.timeout + failed;
  const t: Throughput = {
    count,
    seconds,
    perSecond: seconds > 0 ? count / seconds : 0,
    p50Ms: s.p50Us / 1000,
    p99Ms: s.p99Us / 1000,
    errors,
  };
  if (errors > 0) {
    const kinds = {
      connect: s.connect,
      read: s.read,
      write: s.write,
      timeout: s.timeout,
      'HTTP >= 400': s.status,
      'OCSP not successful': s.unsuccessful,
    };
    t.firstError = Object.entries(kinds)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${kind}: ${n}`)
      .join(', ');
  }
  return t;
}
