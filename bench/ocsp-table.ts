// The OCSP table: each scenario's answers per second next to OpenSSL's responder (same nonce mode,
// same connections) and the Fastify floor (same connections), then the notes a reader needs to read
// it — how each side handled connections, what was checked, what went wrong.
import { cpus } from 'node:os';
import { WRK_TIMEOUT_SECONDS } from './load/wrk.ts';
import type { NonceMode } from './ocsp-requests.ts';
import type { Throughput } from './stats.ts';

export type OcspSide = 'trustplane' | 'openssl' | 'fastify-floor' | 'node-floor';

export interface OcspRow {
  side: OcspSide;
  label: string;
  /** Floors answer whatever was asked: no nonce mode. */
  nonce?: NonceMode;
  connections: number;
  keepAlive: boolean;
  result: Throughput;
  /** CPU of the whole server process per answer, when it could be read. */
  cpuMsPerAnswer?: number;
}

export interface OcspTableContext {
  n: number;
  seconds: number;
  warmupSeconds: number;
  threads: number;
}

/** Prints the table and notes; false when a run had errors. */
export function printOcspTable(rows: readonly OcspRow[], notes: readonly string[], c: OcspTableContext): boolean {
  const header = [
    'scenario',
    'connections',
    'answers/s',
    'p50 ms',
    'p99 ms',
    'server CPU ms/answer',
    'TCP connection',
    '× openssl',
    '× floor',
    'errors',
  ];
  const table: string[][] = [header];
  const find = (side: OcspSide, connections: number, nonce?: NonceMode): Throughput | undefined =>
    rows.find((r) => r.side === side && r.connections === connections && r.nonce === nonce)?.result;
  for (const r of rows) {
    const openssl =
      r.side === 'trustplane' || r.side === 'openssl' ? find('openssl', r.connections, r.nonce) : undefined;
    const floor = find('fastify-floor', r.connections);
    const ratio = (base: Throughput | undefined): string =>
      base && base.perSecond > 0 ? (r.result.perSecond / base.perSecond).toFixed(2) : '';
    table.push([
      `${r.label}${r.nonce ? `, ${r.nonce}` : ''}`,
      String(r.connections),
      r.result.perSecond.toFixed(0),
      r.result.p50Ms.toFixed(2),
      r.result.p99Ms.toFixed(2),
      r.cpuMsPerAnswer === undefined ? '' : r.cpuMsPerAnswer.toFixed(3),
      r.keepAlive ? 'kept open' : 'new per answer',
      ratio(openssl),
      ratio(floor),
      String(r.result.errors),
    ]);
  }
  const widths = header.map((_, k) => Math.max(...table.map((row) => row[k]!.length)));
  const line = (row: string[]): string =>
    `| ${row.map((cell, k) => (k === 0 ? cell.padEnd(widths[k]!) : cell.padStart(widths[k]!))).join(' | ')} |`;
  console.log(
    `\nOCSP (issue 11), ${c.n} ECDSA P-256 device certificates per responder, every tenth revoked; SHA-1 CertIDs by openssl ocsp; ` +
      `wrk -t${c.threads} (no more threads than connections) on ${cpus().length} CPUs shared with the server; ${c.seconds} s per run after ${c.warmupSeconds} s of warm-up; ` +
      `${new Date().toISOString().slice(0, 10)}\n`,
  );
  console.log(line(header));
  console.log(`|${widths.map((w, k) => (k === 0 ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':')).join('|')}|`);
  for (const row of table.slice(1)) console.log(line(row));
  console.log(
    "\nwrk's latencies run from a request's first byte to its answer's last (a new connection's set-up is not in them); " +
      `an answer slower than ${WRK_TIMEOUT_SECONDS} s counts as a timeout error.`,
  );
  for (const note of notes) console.log(`- ${note}`);
  let clean = true;
  for (const r of rows) {
    if (r.result.errors === 0) continue;
    clean = false;
    console.log(
      `- ${r.label}${r.nonce ? `, ${r.nonce}` : ''}, ${r.connections} connections: ${r.result.errors} errors (${r.result.firstError ?? '?'})`,
    );
  }
  return clean;
}
