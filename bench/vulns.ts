// Vulnerability matching (issue 13): 10,000 OSV advisories imported through the register's own use
// case (importAdvisories, in the CLI's batches of 500) against 500 releases of 2,000 SBOM components
// each; a new release matched against the 10,000 stored advisories (sbomComponents + indexRelease, as
// release creation calls them); and the affected-device list over a fleet of 1,000,000 devices.
// Releases, their component index and the fleet are written directly with SQL (vulns-seed.ts); the
// measured steps run the real code on a Trustplane opened afresh, so no earlier phase's memory or
// database connections count. Compared with, in the same run: the index join as plain SQL, the
// in-memory decision, and the version libraries alone (vulns-floors.ts).
import { loadavg } from 'node:os';
import { sql } from 'kysely';
import { Trustplane } from '../src/server/trustplane.ts';
import { importAdvisories } from '../src/vulns/import-advisories.ts';
import { parseOsvDocument } from '../src/vulns/osv-document.ts';
import { indexRelease } from '../src/vulns/release-index.ts';
import { sbomComponents } from '../src/vulns/sbom-components.ts';
import { BENCH_KEK, freshPglite, freshPostgres, type BenchDatabase } from './fixtures.ts';
import { collectGarbage, lifetimeMaxRss, processPeakRss, RssPeak } from './memory-peak.ts';
import { postgresClusterCpu } from './process-cpu.ts';
import { elapsedMs, percentile } from './stats.ts';
import { benchAdvisories } from './vulns-advisories.ts';
import { benchProducts, cycloneDx, releaseVersion } from './vulns-corpus.ts';
import { measureAffectedDevices, type DeviceQueryRow } from './vulns-devices.ts';
import { measureFloors, type MatchingFloors } from './vulns-floors.ts';
import { printVulnsTables } from './vulns-report.ts';
import { insertRelease, seedFleet, seedReleases, type SeededProduct } from './vulns-seed.ts';

/** The CLI's batch (cli/commands/vuln-import.ts, BATCH_DOCUMENTS). */
const CLI_BATCH = 500;
const NEW_RELEASES = 20;
const DEVICE_TARGETS = [1, 10, 100];
/** per target: rounds of first page, deep page and count for this long (10 rounds at least) */
const DEVICE_BUDGET_MS = 10_000;
const actor = { kind: 'system', name: 'bench' } as const;

export interface VulnsSizes {
  advisories: number;
  releases: number;
  components: number;
  devices: number;
}

/** One measured phase: wall, CPU of this process (all threads) and of the PostgreSQL cluster, memory. */
export interface Phase {
  seconds: number;
  cpuSeconds: number;
  pgCpuSeconds: number | undefined;
  rssStart: number;
  rssPeak: number;
  /** PostgreSQL: the largest VmHWM among this database's backends (shared buffers they touched included) */
  pgBackendPeak: number | undefined;
  /** latency of each step (a batch, a release), ms */
  p50Ms: number;
  p99Ms: number;
}

export interface VulnsResult {
  store: string;
  sizes: VulnsSizes;
  seedSeconds: number;
  imported: Phase & { added: number; registerRows: number; advisoriesMatched: number; perRelease: [number, number, number] };
  parseSeconds: number;
  importFloors: MatchingFloors;
  newReleases: number;
  indexed: Phase & { meanAdded: number; extractP50Ms: number };
  indexFloors: MatchingFloors;
  devices: DeviceQueryRow[];
  /** getrusage maxRSS of the process when this store's run ended (earlier stores' runs included) */
  maxRss: number;
  /** 1-minute load average when the measured steps began and when they ended */
  load: [number, number];
}

type WithDatabase = <T>(make: () => BenchDatabase | Promise<BenchDatabase>, run: (db: BenchDatabase) => Promise<T>) => Promise<T>;

/** `--only vulns`: PostgreSQL at the size (when a URL is given), PGlite at its own; then the tables. */
export async function runVulnsBenches(o: { sizes: number[]; pgliteSizes: number[]; databaseUrl: string | undefined; say: (s: string) => void; withDatabase: WithDatabase }): Promise<void> {
  const results: VulnsResult[] = [];
  o.say('vulnerability matching…');
  if (o.databaseUrl) {
    const url = o.databaseUrl;
    results.push(await o.withDatabase(() => freshPostgres(url), (db) => runVulnsBench(db, vulnsSizes(o.sizes), o.say)));
  } else o.say('  no --database-url (or DATABASE_URL): PostgreSQL skipped');
  results.push(await o.withDatabase(freshPglite, (db) => runVulnsBench(db, vulnsSizes(o.pgliteSizes), o.say)));
  printVulnsTables(results);
}

function vulnsSizes(v: number[]): VulnsSizes {
  const [advisories, releases, components, devices] = v;
  if (v.length !== 4 || devices === undefined) throw new Error('--vulns-sizes and --vulns-pglite-sizes: advisories,releases,components,devices');
  return { advisories: advisories!, releases: releases!, components: components!, devices };
}

export async function runVulnsBench(db: BenchDatabase, sizes: VulnsSizes, say: (s: string) => void): Promise<VulnsResult> {
  const open = (): Promise<Trustplane> => Trustplane.open({ database: db.location, kek: BENCH_KEK, publicUrl: 'http://127.0.0.1:8080' });
  const rss = RssPeak.start();
  const clusterCpu = db.location.kind === 'postgres' ? await postgresClusterCpu(db.location.url) : undefined;
  let tp = await open();
  try {
    await tp.initialise();
    const specs = benchProducts(sizes.releases);
    say(`  vulns on ${db.label}: ${sizes.releases} releases × ${sizes.components} components, ${sizes.devices.toLocaleString('en')} devices, with SQL…`);
    const s0 = process.hrtime.bigint();
    const products = await seedReleases(tp, specs, sizes.components);
    await seedFleet(tp.database.db, products, sizes.devices);
    await sql`vacuum (analyze)`.execute(tp.database.db);
    const seedSeconds = elapsedMs(s0) / 1000;
    say(`    ${seedSeconds.toFixed(0)} s`);

    const loadBefore = loadavg()[0]!;
    const documents = benchAdvisories(sizes.advisories);
    const batches = Array.from({ length: Math.ceil(documents.length / CLI_BATCH) }, (_, i) => documents.slice(i * CLI_BATCH, (i + 1) * CLI_BATCH));
    say(`  importing ${documents.length.toLocaleString('en')} advisories in ${batches.length} batches (importAdvisories)…`);
    await tp.close();
    tp = await open();
    let added = 0;
    const importPhase = await phase(tp, rss, clusterCpu, batches, async (batch) => {
      added += (await importAdvisories(tp.vulns, batch, actor)).matches.added;
    });
    await sql`analyze`.execute(tp.database.db);
    const register = await registerShape(tp, sizes.releases);

    say('  floors: the import\'s join as SQL, decideMatches, the version libraries, the OSV parse…');
    const p0 = process.hrtime.bigint();
    for (const d of documents) parseOsvDocument(d);
    const parseSeconds = elapsedMs(p0) / 1000;
    const importFloors = await measureFloors(tp, batches.map((b) => ({ vulnerabilityIds: b.map((d) => d.id as string) })));

    say(`  indexing ${NEW_RELEASES} new releases of ${products[0]!.spec.sku} against the advisories (sbomComponents + indexRelease)…`);
    const fresh = await newReleases(tp, products[0]!);
    await tp.close();
    tp = await open();
    const extractMs: number[] = [];
    let indexAdded = 0;
    const indexPhase = await phase(tp, rss, clusterCpu, fresh, async (release) => {
      const t = process.hrtime.bigint();
      const components = sbomComponents(release.document, { strict: true });
      extractMs.push(elapsedMs(t));
      indexAdded += (await indexRelease(tp.vulns, { id: release.id, productId: products[0]!.record.id, sku: products[0]!.spec.sku, version: release.version }, components)).added.length;
    });
    const indexFloors = await measureFloors(tp, fresh.map((r) => ({ releaseIds: [r.id] })));

    say(`  affected devices of ${products[0]!.spec.sku} (affectedDevices, pages of 100)…`);
    await tp.close();
    tp = await open();
    const devices = await measureAffectedDevices(tp, products[0]!.record, DEVICE_TARGETS, DEVICE_BUDGET_MS, say);
    return {
      store: db.label,
      sizes,
      seedSeconds,
      imported: { ...importPhase, added, ...register },
      parseSeconds,
      importFloors,
      newReleases: fresh.length,
      indexed: { ...indexPhase, meanAdded: indexAdded / fresh.length, extractP50Ms: percentile(extractMs.sort((a, b) => a - b), 50) },
      indexFloors,
      devices,
      maxRss: lifetimeMaxRss(),
      load: [loadBefore, loadavg()[0]!],
    };
  } finally {
    await tp.close();
    await rss.stop();
  }
}

/** Runs `step` over the items, one at a time, and measures the whole. */
async function phase<T>(tp: Trustplane, rss: RssPeak, clusterCpu: (() => number) | undefined, items: readonly T[], step: (item: T) => Promise<void>): Promise<Phase> {
  collectGarbage();
  const rssStart = process.memoryUsage.rss();
  rss.reset();
  const cpu0 = process.cpuUsage();
  const pg0 = clusterCpu?.();
  const t0 = process.hrtime.bigint();
  const latencies: number[] = [];
  for (const item of items) {
    const t = process.hrtime.bigint();
    await step(item);
    latencies.push(elapsedMs(t));
  }
  const seconds = elapsedMs(t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const pgCpuSeconds = clusterCpu && pg0 !== undefined ? (clusterCpu() - pg0) / 1000 : undefined;
  latencies.sort((a, b) => a - b);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, pgCpuSeconds, rssStart, rssPeak: rss.peak(), pgBackendPeak: await backendPeak(tp), p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

async function backendPeak(tp: Trustplane): Promise<number | undefined> {
  if (tp.database.kind !== 'postgres') return undefined;
  const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database()`.execute(tp.database.db);
  const peaks = rows.map((r) => processPeakRss(r.pid) ?? 0);
  return peaks.length === 0 ? undefined : Math.max(...peaks);
}

/** What the import left in the register: rows, advisories matching something, vulnerabilities per release (min, median, max). */
async function registerShape(tp: Trustplane, releases: number): Promise<{ registerRows: number; advisoriesMatched: number; perRelease: [number, number, number] }> {
  const { rows } = await sql<{ n: string | number }>`select count(*) as n from vulnerability_releases group by release_id`.execute(tp.database.db);
  const counts = rows.map((r) => Number(r.n));
  while (counts.length < releases) counts.push(0);
  counts.sort((a, b) => a - b);
  const { rows: v } = await sql<{ n: string | number }>`select count(distinct vulnerability_id) as n from vulnerability_releases`.execute(tp.database.db);
  return { registerRows: counts.reduce((a, b) => a + b, 0), advisoriesMatched: Number(v[0]!.n), perRelease: [counts[0] ?? 0, percentile(counts, 50), counts.at(-1) ?? 0] };
}

/** The product's next releases (drifting on from its last), each a release row and its CycloneDX SBOM. */
async function newReleases(tp: Trustplane, product: SeededProduct): Promise<{ id: string; version: string; document: Record<string, unknown> }[]> {
  const out = [];
  for (let n = 0; n < NEW_RELEASES; n++) {
    const r = product.spec.releases + n;
    const { id, version } = await insertRelease(tp.database.db, product.record.id, r, null);
    out.push({ id, version, document: cycloneDx(product.spec, releaseVersion(r), product.sboms.componentsAt(r)) });
  }
  return out;
}
