// The register's affected-device list at fleet scale: the repository's own affectedDevices (what
// GET …/vulnerabilities/{id}/devices calls), a first page and a deep one (from the middle of the list),
// for vulnerabilities of the register affecting about 1, 10 and 100 releases of a product; next to a
// plain count(*) over the same join, which reads every affected device once.
import { sql } from 'kysely';
import type { ProductRecord } from '../src/pki/records.types.ts';
import type { Trustplane } from '../src/server/trustplane.ts';
import { setReleaseStatus } from '../src/vulns/register-status.ts';
import { elapsedMs, percentile } from './stats.ts';

/** The route's default page (and what the detail view shows). */
export const DEVICE_PAGE = 100;

export interface DeviceQueryRow {
  /** releases the vulnerability affects (register rows not cleared) */
  releases: number;
  /** its register rows for the product, cleared ones included */
  registerRows: number;
  /** devices the list holds */
  devices: number;
  first: { p50Ms: number; p99Ms: number };
  deep: { p50Ms: number; p99Ms: number };
  countMs: { p50Ms: number; p99Ms: number };
  /** rounds of (first page, deep page); a count every other round */
  samples: number;
}

const MAX_SAMPLES = 100;

/**
 * For each target, the register's vulnerability of the product affecting the fewest releases at or
 * above it; when that is more than the target, the PSIRT's decision clears the rest (not_affected,
 * through the register's own setReleaseStatus), so the list covers exactly `target` releases and the
 * query also filters register rows by status, as it does in use.
 */
export async function measureAffectedDevices(tp: Trustplane, product: ProductRecord, targets: number[], budgetMs: number, say: (s: string) => void): Promise<DeviceQueryRow[]> {
  const db = tp.database.db;
  const productId = product.id;
  const { rows: spread } = await sql<{ vulnerability_id: string; n: string | number }>`select vulnerability_id, count(*) as n from vulnerability_releases
    where product_id = ${productId} and status = 'under_investigation' group by vulnerability_id order by count(*), vulnerability_id`.execute(db);
  const out: DeviceQueryRow[] = [];
  const used = new Set<string>();
  for (const target of targets) {
    const chosen = spread.find((v) => Number(v.n) >= target && !used.has(v.vulnerability_id)) ?? spread.at(-1)!;
    used.add(chosen.vulnerability_id);
    const vuln = chosen.vulnerability_id;
    // the oldest releases are kept (the newest may be ones no device runs yet)
    const { rows: releases } = await sql<{ release_id: string }>`select vr.release_id from vulnerability_releases vr join releases r on r.id = vr.release_id
      where vr.vulnerability_id = ${vuln} and vr.product_id = ${productId} order by r.security_version`.execute(db);
    for (const r of releases.slice(target)) {
      await setReleaseStatus(tp.vulns, product, vuln, r.release_id, { status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', note: 'bench: cleared' }, { kind: 'system', name: 'bench' });
    }
    // affectedDevices' join and conditions (store/vulns-repository.ts), without its order and limit
    const affected = sql`from vulnerability_releases vr
        join device_releases dr on dr.release_id = vr.release_id
        join devices d on d.id = dr.device_id
        join releases r on r.id = vr.release_id
      where vr.product_id = ${productId} and vr.vulnerability_id = ${vuln}
        and (vr.status in ('under_investigation', 'affected') or (vr.status = 'fixed' and vr.fixed_in_release_id is distinct from vr.release_id))
        and d.state <> 'decommissioned'`;
    const plainCount = async (): Promise<number> => Number((await sql<{ n: string | number }>`select count(*) as n ${affected}`.execute(db)).rows[0]!.n);
    const devices = await plainCount();
    const { rows: middle } = await sql<{ serial: string }>`select d.serial ${affected} order by d.serial offset ${Math.floor(devices / 2)} limit 1`.execute(db);
    const after = middle[0]?.serial;
    say(`    ${vuln}: ${Math.min(target, releases.length)} of its ${releases.length} releases not cleared, ${devices.toLocaleString('en')} devices; first pages, deep pages (after ${after ?? '-'}) and counts for ${(budgetMs / 1000).toFixed(0)} s…`);
    const first: number[] = [];
    const deep: number[] = [];
    const counts: number[] = [];
    const time = async (into: number[], run: () => Promise<unknown>): Promise<void> => {
      const t = process.hrtime.bigint();
      await run();
      into.push(elapsedMs(t));
    };
    for (let i = 0; i < 3; i++) await tp.vulns.store.affectedDevices(productId, vuln, { limit: DEVICE_PAGE }); // warm-up
    // as many rounds as the budget allows, at least 10
    const start = process.hrtime.bigint();
    for (let i = 0; i < 10 || (i < MAX_SAMPLES && elapsedMs(start) < budgetMs); i++) {
      await time(first, () => tp.vulns.store.affectedDevices(productId, vuln, { limit: DEVICE_PAGE }));
      await time(deep, () => tp.vulns.store.affectedDevices(productId, vuln, { limit: DEVICE_PAGE, ...(after === undefined ? {} : { after }) }));
      if (i % 2 === 0) await time(counts, plainCount);
    }
    out.push({ releases: Math.min(target, releases.length), registerRows: releases.length, devices, first: summary(first), deep: summary(deep), countMs: summary(counts), samples: first.length });
  }
  return out;
}

function summary(ms: number[]): { p50Ms: number; p99Ms: number } {
  ms.sort((a, b) => a - b);
  return { p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99) };
}
