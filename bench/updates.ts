// Signed updates (issue 12): publishing a release for a product with 1,000 and 1,000,000 registered
// devices (rows made directly in the store past the first thousand), the metadata bytes a device's
// TUF client (the real tuf-js Updater) downloads per check, counted on the wire by a loopback proxy,
// and the rate at which the server re-signs a product's timestamp (what keeps devices from seeing
// expired metadata). The API is the real Fastify app on a loopback port, in this process. The
// figures are printed next to the raw Ed25519 and ML-DSA-65 signing rates of the same run; the
// concurrent update checks of a fleet are bench/update-checks.ts.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Updater } from 'tuf-js';
import { FakeClock } from '../src/core/clock.ts';
import { createProduct } from '../src/pki/products.ts';
import { buildApp } from '../src/server/app.ts';
import { Trustplane } from '../src/server/trustplane.ts';
import { refreshOnlineMetadata } from '../src/updates/tuf-online.ts';
import { BENCH_KEK, BENCH_SKU, type BenchDatabase } from './fixtures.ts';
import { elapsedMs } from './stats.ts';
import { publishBenchRelease } from './update-release.ts';

export interface UpdatesRow {
  store: string;
  devices: number;
  /** the approval that reached the threshold: targets, snapshot, timestamp, boot manifest, release, events */
  publishMs: number;
  /** release created (1 MiB image and SBOM uploaded) to published, through the API */
  endToEndMs: number;
  /** a device's first check (trusted root 1 only): bytes of metadata it downloaded */
  firstCheckBytes: number;
  /** a device's check when nothing changed */
  idleCheckBytes: number;
  /** timestamp re-signs per second (refreshOnlineMetadata, stored, one at a time) */
  timestampResignsPerSecond: number;
  /** Ed25519 signatures per re-sign: the timestamp, and the snapshot when it was due too */
  signaturesPerResign: number;
}

/** Raw signatures per second in the bench process (bench/limit.ts measureSignRate), the floor under both figures. */
export interface SigningLimit {
  ed25519PerSecond: number;
  mlDsa65PerSecond: number;
}

/** What publication signs (release-approval.ts publish): snapshot, timestamp, the boot manifest's two signatures. */
export const PUBLISH_SIGNATURES = { ed25519: 3, mlDsa65: 1 } as const;

/** The time publication's signatures alone take at the raw rates, ms. */
export const publishSigningMs = (l: SigningLimit): number =>
  (PUBLISH_SIGNATURES.ed25519 / l.ed25519PerSecond + PUBLISH_SIGNATURES.mlDsa65 / l.mlDsa65PerSecond) * 1000;

const HOUR = 3_600_000;

export async function runUpdatesBench(db: BenchDatabase, devices: number, say: (s: string) => void): Promise<UpdatesRow> {
  const clock = new FakeClock(new Date());
  const tp = await Trustplane.open({ database: db.location, kek: BENCH_KEK, clock, publicUrl: 'http://127.0.0.1:8080' });
  const work = await mkdtemp(join(tmpdir(), 'tp-bench-updates-'));
  try {
    await tp.initialise();
    await createProduct(tp.identity, { sku: BENCH_SKU, name: 'Benchmark device', craClass: 'default', supportUntil: '2036-12-31' }, { kind: 'system', name: 'bench' });
    const product = await tp.product(BENCH_SKU);
    say(`  updates on ${db.label}: ${devices.toLocaleString('en')} registered devices…`);
    await sql`insert into devices (id, product_id, serial, state, created_at, updated_at)
      select 'dev_' || lpad(to_hex(g), 20, '0'), ${product.id}, 'SN' || lpad(g::text, 9, '0'), 'registered', now(), now()
      from generate_series(1::bigint, ${devices}::bigint) g`.execute(tp.database.db);
    await sql`vacuum (analyze) devices`.execute(tp.database.db);
    const app = await buildApp(tp, { maxBodyBytes: 1024 * 1024, logLevel: 'warn' });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    tp.setPublicUrl(url);
    try {
      const { secret } = await tp.tokens.create({ role: 'admin', owner: 'bench', ttlSeconds: 3600 }, 'bench');
      const { publishMs, endToEndMs } = await publishBenchRelease(url, secret);

      const { firstCheckBytes, idleCheckBytes } = await deviceCheckBytes(url, work);
      say(`    timestamp re-signs…`);
      const n = 200;
      const snapshotVersion = async (): Promise<number> => (await tp.updates.store.tuf.latestOnlineMetadata(product.id, 'snapshot'))?.version ?? 0;
      const snapshotsBefore = await snapshotVersion();
      const r0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        clock.advance(13 * HOUR); // past half the timestamp's 24 h: due again
        if (!(await refreshOnlineMetadata(tp.updates, product))) throw new Error('the timestamp was not re-signed');
      }
      const timestampResignsPerSecond = n / (elapsedMs(r0) / 1000);
      // Every re-sign signs a timestamp; one in a few also a snapshot (half its validity gone).
      const signaturesPerResign = 1 + ((await snapshotVersion()) - snapshotsBefore) / n;
      return { store: db.label, devices, publishMs, endToEndMs, firstCheckBytes, idleCheckBytes, timestampResignsPerSecond, signaturesPerResign };
    } finally {
      await app.close();
    }
  } finally {
    await tp.close();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * A device's TUF client (tuf-js) through a loopback proxy that counts the bytes of every answer:
 * a first check from the trusted root 1, then a second check with nothing new.
 */
async function deviceCheckBytes(serverUrl: string, work: string): Promise<{ firstCheckBytes: number; idleCheckBytes: number }> {
  let counted = 0;
  const target = new URL(serverUrl);
  const proxy = http.createServer((req, res) => {
    const upstream = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.on('data', (chunk: Buffer) => (counted += chunk.length));
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as { port: number };
  try {
    const dir = join(work, 'device');
    await mkdir(join(dir, 'metadata'), { recursive: true });
    await mkdir(join(dir, 'targets'), { recursive: true });
    const root1 = await fetch(`${serverUrl}/tuf/${BENCH_SKU}/metadata/1.root.json`);
    await writeFile(join(dir, 'metadata', 'root.json'), Buffer.from(await root1.arrayBuffer()));
    const base = `http://127.0.0.1:${port}/tuf/${BENCH_SKU}`;
    const updater = () => new Updater({ metadataDir: join(dir, 'metadata'), targetDir: join(dir, 'targets'), metadataBaseUrl: `${base}/metadata`, targetBaseUrl: `${base}/targets`, config: { fetchRetry: false } });
    counted = 0;
    await updater().refresh();
    const firstCheckBytes = counted;
    counted = 0;
    await updater().refresh();
    return { firstCheckBytes, idleCheckBytes: counted };
  } finally {
    proxy.close();
  }
}

export function printUpdatesTable(rows: UpdatesRow[], limit: SigningLimit): void {
  const signingMs = publishSigningMs(limit);
  console.log('\nSigned updates (bar: a device downloads the same metadata bytes per check at 1,000 and 1,000,000 devices)\n');
  console.log(
    `limit, this process, sequential crypto.sign: Ed25519 ${limit.ed25519PerSecond.toFixed(0)}/s, ML-DSA-65 ${limit.mlDsa65PerSecond.toFixed(0)}/s; ` +
      `publication's ${PUBLISH_SIGNATURES.ed25519} Ed25519 + ${PUBLISH_SIGNATURES.mlDsa65} ML-DSA-65 signatures: ${signingMs.toFixed(2)} ms\n`,
  );
  console.log('| store | registered devices | publish (last approval) ms | publish ÷ its signatures | created → published ms | first check bytes | idle check bytes | timestamp re-signs/s | signatures per re-sign | re-signs ÷ Ed25519 limit |');
  console.log('|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const r of rows) {
    // The limit for re-signs: raw Ed25519 signatures per second over the signatures one re-sign makes.
    const resignLimit = limit.ed25519PerSecond / r.signaturesPerResign;
    console.log(
      `| ${r.store} | ${r.devices.toLocaleString('en')} | ${r.publishMs.toFixed(1)} | ${(r.publishMs / signingMs).toFixed(0)}× | ${r.endToEndMs.toFixed(0)} | ${r.firstCheckBytes.toLocaleString('en')} | ${r.idleCheckBytes.toLocaleString('en')} | ` +
        `${r.timestampResignsPerSecond.toFixed(0)} | ${r.signaturesPerResign.toFixed(2)} | ${(r.timestampResignsPerSecond / resignLimit).toFixed(4)} |`,
    );
  }
}
