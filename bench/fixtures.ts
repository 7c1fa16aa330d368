// What every issuance scenario needs before the clock starts: distinct CSRs,
// a product with its issuing CA, and one registered device per CSR.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { registerDevices, MAX_IMPORT_ROWS } from '../src/pki/devices.ts';
import { createProduct } from '../src/pki/products.ts';
import type { Actor, ProductRecord } from '../src/pki/records.types.ts';
import { Trustplane, type TrustplaneOptions } from '../src/server/trustplane.ts';
import type { DatabaseLocation } from '../src/store/database.ts';
import { makeCsr } from '../src/testkit/csr.ts';

export const BENCH_SKU = 'bench-p256';
export const benchActor: Actor = { kind: 'system', name: 'bench' };

export interface BenchCsr {
  der: Uint8Array;
  pem: string;
}

/** n distinct ECDSA P-256 requests, each with its own key. */
export function makeCsrs(n: number): BenchCsr[] {
  const out: BenchCsr[] = [];
  for (let i = 0; i < n; i++) {
    const { der, pem } = makeCsr('ecdsa-p256', { commonName: `bench-${i}` });
    out.push({ der, pem });
  }
  return out;
}

export const deviceSerial = (i: number): string => `bench-${String(i).padStart(6, '0')}`;

/** Where a scenario keeps its data; `dispose` removes it. */
export interface BenchDatabase {
  label: string;
  location: DatabaseLocation;
  dispose(): Promise<void>;
}

/** BENCH_PGLITE_THREAD=worker: PGlite on a worker thread of its own (the HTTP child inherits it). */
export const pgliteThread = (): { thread?: 'main' | 'worker' } => (process.env.BENCH_PGLITE_THREAD === 'worker' ? { thread: 'worker' } : {});

/** A fresh PGlite database on disk (not in memory: persistence is part of what is measured). */
export function freshPglite(): BenchDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'tp-bench-'));
  return {
    label: 'PGlite',
    location: { kind: 'pglite', dataDir: join(dir, 'db'), ...pgliteThread() },
    dispose: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  };
}

/** A fresh database of its own on the PostgreSQL server at `serverUrl`, dropped afterwards. */
export async function freshPostgres(serverUrl: string): Promise<BenchDatabase> {
  const name = `tp_bench_${randomBytes(6).toString('hex')}`; // ours: [a-z0-9_] only
  const admin = async (statement: string): Promise<void> => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return { label: 'PostgreSQL', location: { kind: 'postgres', url: u.toString() }, dispose: () => admin(`drop database if exists ${name}`) };
}

export const BENCH_KEK = new Uint8Array(Buffer.alloc(32, 7));

/** Opens trustplane on `location` with a product and `n` registered devices. */
export async function openPrepared(location: DatabaseLocation, n: number, publicUrl = 'http://127.0.0.1:8080', options: Pick<TrustplaneOptions, 'attestation'> = {}): Promise<{ tp: Trustplane; product: ProductRecord }> {
  const tp = await Trustplane.open({ database: location, kek: BENCH_KEK, publicUrl, ...options });
  await tp.initialise();
  await createProduct(tp.identity, { sku: BENCH_SKU, name: 'Benchmark device', craClass: 'default', supportUntil: '2036-12-31' }, benchActor);
  const product = await tp.product(BENCH_SKU);
  for (let start = 0; start < n; start += MAX_IMPORT_ROWS) {
    const rows = [];
    for (let i = start; i < Math.min(n, start + MAX_IMPORT_ROWS); i++) rows.push({ serial: deviceSerial(i) });
    await registerDevices(tp.identity, product, rows, benchActor);
  }
  return { tp, product };
}
