/**
 * The affected-device list's two plans (store/vulns-repository.ts, docs/benchmarks.md "vulns"):
 * the register's join and the product's serial walk (with the join after a short walk) give the
 * same pages, on a seeded set of two products whose devices run releases the register affects,
 * clears, fixes in themselves or fixes in another release, some devices decommissioned, some with no
 * reported release. Every page size, every starting point, walks shorter and longer than a page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { FakeClock } from '../src/core/clock.ts';
import { createProduct } from '../src/pki/products.ts';
import { Trustplane } from '../src/server/trustplane.ts';
import type { VulnsRepository } from '../src/store/vulns-repository.ts';
import type { AffectedDevice } from '../src/vulns/vulnerability.types.ts';
import { databaseTargets } from './support/databases.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const actor = { kind: 'system', name: 'test' } as const;
const VULN = 'GHSA-test-plan-0001';

/** A deterministic generator (mulberry32), so a failure names a seed that reproduces it. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

for (const target of databaseTargets()) {
  describe(`the affected-device list's plans agree (${target.name})`, () => {
    let tp: Trustplane;
    let home: string;
    let store: VulnsRepository;
    let productId: string;
    /** the list as the register defines it, computed here from what was seeded */
    let expected: string[];

    before(async () => {
      home = mkdtempSync(join(tmpdir(), 'tp-plans-'));
      tp = await Trustplane.open({ database: await target.fresh(join(home, 'db')), kek: new Uint8Array(Buffer.alloc(32, 7)), clock: new FakeClock(new Date('2027-03-01T00:00:00Z')), publicUrl: 'http://127.0.0.1:8080', home });
      await tp.initialise();
      store = tp.vulns.store as VulnsRepository;
      const db = tp.database.db;
      const random = seeded(13);
      const products = [];
      for (const sku of ['GW-PLAN', 'CAM-PLAN']) {
        const p = await createProduct(tp.identity, { sku, name: sku, craClass: 'default', supportUntil: '2036-12-31' }, actor);
        const releases: string[] = [];
        for (let r = 0; r < 8; r++) {
          const id = `rel_${sku.toLowerCase().replace('-', '')}${String(r).padStart(12, '0')}`;
          await sql`insert into releases (id, product_id, version, security_version, kind, update_type, hardware, image_name, image_sha256, image_sha512, image_length, sbom, state, created_by, created_at, published_at)
            values (${id}, ${p.id}, ${`1.${r}.0`}, ${r + 1}, 'firmware', 'security', '{}', 'firmware.bin', ${'0'.repeat(64)}, ${'0'.repeat(128)}, 1, null, 'published', 'test', now(), now())`.execute(db);
          releases.push(id);
        }
        products.push({ id: p.id, sku, releases });
      }
      productId = products[0]!.id;
      await sql`insert into vulnerabilities (id, source, product_id, modified, aliases, created_by, created_at, updated_by, updated_at)
        values (${VULN}, 'osv', null, now(), '{}', 'test', now(), 'test', now())`.execute(db);
      // The register for both products: releases 0-1 under investigation, 2 affected, 3 not affected,
      // 4 fixed in itself, 5 fixed in release 6 (its devices still run the vulnerable code), 6-7 no row.
      const notCleared = new Set<string>();
      for (const p of products) {
        const [r0, r1, r2, r3, r4, r5, r6] = p.releases as [string, string, string, string, string, string, string];
        const row = async (release: string, status: string, extra: { justification?: string; fixedIn?: string } = {}) => {
          await sql`insert into vulnerability_releases (vulnerability_id, release_id, product_id, matched, components, first_matched_at, status, justification, fixed_in_release_id, fixed_in_version, status_set_by, status_set_at)
            values (${VULN}, ${release}, ${p.id}, true, '[]'::jsonb, now(), ${status}, ${extra.justification ?? null}, ${extra.fixedIn ?? null}, ${extra.fixedIn === undefined ? null : 'x'}, 'test', now())`.execute(db);
        };
        await row(r0, 'under_investigation');
        await row(r1, 'under_investigation');
        await row(r2, 'affected');
        await row(r3, 'not_affected', { justification: 'vulnerable_code_not_present' });
        await row(r4, 'fixed', { fixedIn: r4 });
        await row(r5, 'fixed', { fixedIn: r6 });
        if (p.id === productId) for (const r of [r0, r1, r2, r5]) notCleared.add(r);
      }
      // 600 devices of the first product and 300 of the second, serials interleaved in sort order
      // (a walk of one product's index passes none of the other's); each runs a release of its
      // product, runs none (never reported), or is decommissioned.
      expected = [];
      for (const [index, p] of products.entries()) {
        const n = index === 0 ? 600 : 300;
        for (let i = 0; i < n; i++) {
          const serial = `SN-${String(i * 2 + index).padStart(5, '0')}`;
          const id = `dev_${String(index * 1000 + i).padStart(20, '0')}`;
          const decommissioned = random() < 0.05;
          // runs of devices on one release, so dense and sparse stretches of the list alternate
          const release = random() < 0.1 ? null : p.releases[Math.floor(((i >> 5) * 7 + random() * 3) % p.releases.length)]!;
          await sql`insert into devices (id, product_id, serial, state, created_at, updated_at) values (${id}, ${p.id}, ${serial}, ${decommissioned ? 'decommissioned' : 'active'}, now(), now())`.execute(db);
          if (release !== null) {
            await sql`insert into device_releases (device_id, release_id, version, security_version, highest_security_version, installed_at) values (${id}, ${release}, '1', 1, 1, now())`.execute(db);
          }
          if (index === 0 && release !== null && !decommissioned && notCleared.has(release)) expected.push(serial);
        }
      }
      expected.sort();
      await sql`analyze`.execute(db);
    });

    after(async () => {
      await tp.close();
      rmSync(home, { recursive: true, force: true });
    });

    /** Every page of the list from `start`, by `list`. */
    const pages = async (list: (after: string | undefined, limit: number) => Promise<AffectedDevice[]>, limit: number, start?: string): Promise<AffectedDevice[][]> => {
      const out: AffectedDevice[][] = [];
      let cursor = start;
      for (;;) {
        const page = await list(cursor, limit);
        out.push(page);
        if (page.length < limit) return out;
        cursor = page.at(-1)!.serial;
      }
    };
    const byJoin = (a: string | undefined, limit: number) => store.affectedDevicesByJoin(productId, VULN, { limit, ...(a === undefined ? {} : { after: a }) });

    it('the join lists exactly the devices whose reported release the register does not clear', async () => {
      assert.ok(expected.length > 100, `a list of ${expected.length} devices`);
      const all = (await pages(byJoin, 1000)).flat();
      assert.deepEqual(all.map((d) => d.serial), expected);
      assert.ok(all.every((d) => d.state === 'active' && ['under_investigation', 'affected', 'fixed'].includes(d.status)));
    });

    it('the serial walk, then the join where a walk ends short, gives the same pages: every page size, start and walk length', async () => {
      const starts = [undefined, expected[Math.floor(expected.length / 2)]!, 'SN-00601', expected.at(-1)!];
      for (const limit of [2, 25, 100]) {
        for (const walk of [1, limit, 10_000]) {
          const walked = async (a: string | undefined, l: number): Promise<AffectedDevice[]> => {
            const page = { limit: l, ...(a === undefined ? {} : { after: a }) };
            const w = await store.affectedDevicesBySerialWalk(productId, VULN, page, walk);
            if (w.continueAfter === null) return w.rows;
            return [...w.rows, ...(await byJoin(w.continueAfter, l - w.rows.length))];
          };
          for (const start of starts) {
            const label = `limit ${limit}, walk ${walk}, after ${start ?? '-'}`;
            assert.deepEqual(await pages(walked, limit, start), await pages(byJoin, limit, start), label);
          }
        }
      }
    });

    it('affectedDevices, which chooses between them, gives the join\'s pages', async () => {
      for (const limit of [10, 100, 1000]) {
        const chosen = (a: string | undefined, l: number) => store.affectedDevices(productId, VULN, { limit: l, ...(a === undefined ? {} : { after: a }) });
        assert.deepEqual(await pages(chosen, limit), await pages(byJoin, limit), `limit ${limit}`);
      }
    });
  });
}
