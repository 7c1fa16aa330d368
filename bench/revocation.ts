// Revocation at fleet scale (issue 11): one revoke call's latency as revoked certificates
// accumulate (0, 10k, 100k, 1M: rows made directly in the store past the first sizes; at 10k also
// through the API one call at a time, with the CRL batches between them, so the CRL history is
// real), the time and size of a complete CRL at 100k and 1M, the size of a delta CRL after 1,000
// changes, and a CRL fetch at 1M. The API is the real Fastify app on a loopback port, in this
// process; each call waits for the one before (latency, not throughput).
import http from 'node:http';
import { makeCsr } from '../src/testkit/csr.ts';
import { buildApp } from '../src/server/app.ts';
import { sql } from 'kysely';
import type { Trustplane } from '../src/server/trustplane.ts';
import { BENCH_SKU, deviceSerial, openPrepared, type BenchDatabase } from './fixtures.ts';
import { elapsedMs, percentile } from './stats.ts';

/** Untimed calls before each timed set: the code paths and the new statistics warm. */
const WARM_UP = 20;

export interface RevocationRow {
  store: string;
  revoked: number;
  how: string;
  p50Ms: number;
  p99Ms: number;
  calls: number;
}

export interface CrlRow {
  store: string;
  revoked: number;
  kind: string;
  buildSeconds: number;
  bytes: number;
  entries: number;
  fetchMs?: number;
}

export interface RevocationBenchOptions {
  sizes: number[];
  /** revoke calls timed at each size */
  samples: number;
  /** revocations through the API at 10,000 (0: skip) */
  apiRevocations: number;
  say: (s: string) => void;
}

export async function runRevocationBench(db: BenchDatabase, options: RevocationBenchOptions): Promise<{ revokes: RevocationRow[]; crls: CrlRow[] }> {
  const { say } = options;
  const devicesNeeded = (options.samples + WARM_UP) * options.sizes.length + options.apiRevocations;
  say(`  revocation on ${db.label}: ${devicesNeeded} devices to enroll…`);
  const { tp, product } = await openPrepared(db.location, devicesNeeded);
  // Complete CRLs only when due by time: at scale the batches carry changes in deltas.
  const app = await buildApp(tp, { maxBodyBytes: 1024 * 1024, logLevel: 'warn', crlCacheMaxAgeSeconds: 300 });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  tp.setPublicUrl(url);
  const { secret } = await tp.tokens.create({ role: 'admin', owner: 'bench', ttlSeconds: 3600 }, 'bench');
  // node:http on one kept-open connection, not fetch: undici's request timers keep each answer's
  // objects alive for about a second, so in this process (client and server share one heap) they
  // outlive young-generation collections, and the promotion shows up as the server's tail.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const call = (method: string, path: string, body: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = http.request(url + path, { method, agent, headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if ((res.statusCode ?? 500) >= 300) reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 200)}`));
          else resolve(JSON.parse(text) as unknown);
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  const revokes: RevocationRow[] = [];
  const crls: CrlRow[] = [];
  try {
    for (let i = 0; i < devicesNeeded; i++) await call('POST', `/v1/products/${BENCH_SKU}/devices/${deviceSerial(i)}/enroll`, { csr: makeCsr('ecdsa-p256').pem });
    let next = 0; // the next enrolled device to revoke
    const revokeTimed = async (n: number): Promise<number[]> => {
      const times: number[] = [];
      for (let k = 0; k < n; k++) {
        const t0 = process.hrtime.bigint();
        await call('POST', `/v1/products/${BENCH_SKU}/devices/${deviceSerial(next++)}/revoke`, { reason: 'keyCompromise' });
        times.push(elapsedMs(t0));
      }
      return times.sort((a, b) => a - b);
    };
    const row = (revoked: number, how: string, times: number[]): RevocationRow => ({ store: db.label, revoked, how, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99), calls: times.length });
    await tp.crls.issueNow(product.issuingCaId); // the CRL history starts
    let filled = 0;
    for (const size of options.sizes) {
      if (size === 10_000 && options.apiRevocations > 0) {
        say(`    ${options.apiRevocations} revocations through the API, one at a time, CRL batches between…`);
        const times: number[] = [];
        for (let done = 0; done < options.apiRevocations; done += 500) {
          times.push(...(await revokeTimed(Math.min(500, options.apiRevocations - done))));
          await tp.issueDueCrls();
        }
        filled += options.apiRevocations;
        revokes.push(row(filled, 'API, one call at a time (all of them)', times.sort((a, b) => a - b)));
      }
      if (size > filled) {
        say(`    filling the store to ${size} revoked certificates…`);
        await fillRevoked(tp, product.issuingCaId, filled, size);
        filled = size;
      }
      say(`    ${options.samples} revoke calls at ${size} revoked (after ${WARM_UP} untimed)…`);
      await revokeTimed(WARM_UP);
      revokes.push(row(size, 'API', await revokeTimed(options.samples)));
      filled += options.samples + WARM_UP;
      if (size >= 100_000) crls.push(...(await measureCrls(tp, db.label, product.issuingCaId, size, url, say)));
    }
  } finally {
    agent.destroy();
    await app.close();
    await tp.close();
  }
  return { revokes, crls };
}

/** `to - from` revoked certificates of the CA made directly in the store, with their status change recorded. */
async function fillRevoked(tp: Trustplane, caId: string, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += 50_000) {
    const end = Math.min(to, start + 50_000);
    await sql`insert into certificates (serial, ca_id, device_id, spki_sha256, der, not_before, not_after, status, revocation_reason, revoked_at, issued_at, status_xid)
      select 'fe' || lpad(to_hex(g), 30, '0'), ${caId}, null, sha256(int8send(g)), '\\x00'::bytea, now() - interval '1 day', now() + interval '1 year',
        'revoked', 'keyCompromise', now(), now() - interval '1 day', pg_current_xact_id()
      from generate_series(${start}::bigint, ${end - 1}::bigint) g`.execute(tp.database.db);
  }
  // The store as a running server has it some minutes after such a load: vacuumed and analyzed
  // (PostgreSQL's autovacuum would do both; the embedded store's maintenance does) and its dirty
  // pages written out. Otherwise the timed calls race autovacuum, the first reads' hint-bit
  // writes and the checkpoint of the load, which measures the bulk insert, not a revocation.
  await sql`vacuum (analyze) certificates`.execute(tp.database.db);
  await sql`checkpoint`.execute(tp.database.db);
}

/** A complete CRL built now (timed), a CRL fetch, and a delta after 1,000 more changes. */
async function measureCrls(tp: Trustplane, store: string, caId: string, revoked: number, url: string, say: (s: string) => void): Promise<CrlRow[]> {
  say(`    complete CRL at ${revoked} revoked…`);
  const t0 = process.hrtime.bigint();
  const { full } = await tp.crls.issueNow(caId);
  const buildSeconds = elapsedMs(t0) / 1000;
  const f0 = process.hrtime.bigint();
  const res = await fetch(`${url}/pki/${caId}/crl`);
  const fetched = (await res.arrayBuffer()).byteLength;
  const fetchMs = elapsedMs(f0);
  if (fetched !== full.byteLength) throw new Error(`CRL fetch: ${fetched} bytes, stored ${full.byteLength}`);
  // 1,000 changes after it, then the batch: a delta (the complete CRL is far above 1 MiB and not yet an hour old).
  await sql`update certificates set status = 'hold', revocation_reason = 'certificateHold', status_xid = pg_current_xact_id()
    where serial in (select serial from certificates where ca_id = ${caId} and status = 'revoked' order by serial limit 1000)`.execute(tp.database.db);
  const d0 = process.hrtime.bigint();
  const issued = await tp.crls.issueDue([caId]);
  const deltaSeconds = elapsedMs(d0) / 1000;
  const delta = issued.find((c) => c.kind === 'delta');
  const rows: CrlRow[] = [{ store, revoked, kind: 'complete', buildSeconds, bytes: full.byteLength, entries: full.entries ?? 0, fetchMs }];
  if (delta) rows.push({ store, revoked, kind: 'delta after 1,000 changes', buildSeconds: deltaSeconds, bytes: delta.byteLength, entries: delta.entries ?? 0 });
  return rows;
}

export function printRevocationTables(revokes: RevocationRow[], crls: CrlRow[]): void {
  console.log('\nRevoke latency (one call at a time, through the API; bar: p99 < 10 ms at every size)\n');
  console.log('| store | revoked before | how | calls | p50 ms | p99 ms | p99 / 10 ms |');
  console.log('|:--|--:|:--|--:|--:|--:|--:|');
  for (const r of revokes) console.log(`| ${r.store} | ${r.revoked.toLocaleString('en')} | ${r.how} | ${r.calls} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${(r.p99Ms / 10).toFixed(2)} |`);
  console.log('\nCRLs (bar: a complete CRL of 1,000,000 entries built in under 10 s)\n');
  console.log('| store | revoked | CRL | entries | build s | bytes | fetch ms |');
  console.log('|:--|--:|:--|--:|--:|--:|--:|');
  for (const c of crls) console.log(`| ${c.store} | ${c.revoked.toLocaleString('en')} | ${c.kind} | ${c.entries.toLocaleString('en')} | ${c.buildSeconds.toFixed(2)} | ${c.bytes.toLocaleString('en')} | ${c.fetchMs === undefined ? '' : c.fetchMs.toFixed(0)} |`);
}
