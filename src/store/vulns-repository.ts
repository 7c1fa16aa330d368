import { sql, type ColumnType, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Clock } from '../core/clock.ts';
import type { StoredAffected } from '../vulns/affected-match.ts';
import type { VersionRange } from '../vulns/osv-range.ts';
import type { SbomComponents } from '../vulns/sbom-components.ts';
import type { AffectedDevice, MatchCandidate, MatchedComponent, ProductVulnerability, RegisterEntry, RegisterRow, VexJustification, VulnerabilityRecord, VulnerabilityStatus } from '../vulns/vulnerability.types.ts';
import type { MatchScope, ReleaseToIndex, VulnsStore, VulnsUnitOfWork } from '../vulns/vulns-store.types.ts';
import { runUnitOfWork } from './identity-repository.ts';
import { IdentityUnitOfWorkImpl } from './identity-unit-of-work.ts';
import type { Database } from './schema.types.ts';

type Timestamp = ColumnType<Date, Date, Date>;
type Json = ColumnType<unknown, string, string>;

/** The register's tables (migration 0012), added to the schema where they are used. */
// A type, not an interface: withTables wants an index signature.
type VulnsTables = {
  vulnerabilities: {
    id: string;
    source: string;
    product_id: string | null;
    modified: Timestamp;
    published: Timestamp | null;
    withdrawn: Timestamp | null;
    summary: string | null;
    details: string | null;
    aliases: string[];
    document: ColumnType<unknown, string | null, string | null>;
    sha256: string | null;
    created_by: string;
    created_at: Timestamp;
    updated_by: string;
    updated_at: Timestamp;
  };
  vulnerability_packages: { vulnerability_id: string; seq: number; ecosystem: string; purl_key: string; release: string | null; ranges: Json; versions: string[]; any_version: boolean };
  release_sbom_index: { release_id: string; components: number; without_purl: number; invalid_purl: number; indexed_at: Timestamp };
  release_components: { release_id: string; seq: number; name: string; purl: string | null; purl_key: string | null; version: string | null; distro: string | null };
  vulnerability_releases: {
    vulnerability_id: string;
    release_id: string;
    product_id: string;
    matched: boolean;
    components: Json;
    first_matched_at: Timestamp | null;
    status: string;
    justification: string | null;
    fixed_in_release_id: string | null;
    fixed_in_version: string | null;
    note: string | null;
    status_set_by: string;
    status_set_at: Timestamp;
  };
  product_vulnerabilities: {
    product_id: string;
    vulnerability_id: string;
    first_seen_at: Timestamp;
    exploited_aware_at: Timestamp | null;
    exploited_marked_by: string | null;
    exploited_marked_at: Timestamp | null;
    exploited_note: string | null;
  };
};
type VulnsDb = Kysely<Database & VulnsTables>;

/** Rows per INSERT: PostgreSQL takes at most 65,535 parameters in a statement. */
const ROWS_PER_INSERT = 1000;
/** pg_advisory_xact_lock key serialising matching (an arbitrary constant: "vulns" in ASCII). */
const MATCHING_LOCK = 0x76756c6e73;

/**
 * A release the register does not clear for a vulnerability: under investigation, affected, or
 * fixed in another release (its devices run the vulnerable code until they install that one).
 */
const NOT_CLEARED = sql`(vr.status in ('under_investigation', 'affected') or (vr.status = 'fixed' and vr.fixed_in_release_id is distinct from vr.release_id))`;

/** How many of the product's devices a page's serial walk may read per row asked (affectedDevices). */
export const SERIAL_WALK_PER_ROW = 50;

type AffectedRow = { serial: string; state: string; release_id: string; version: string; status: string; installed_at: Date };
const toAffectedDevice = (r: AffectedRow): AffectedDevice => ({ serial: r.serial, state: r.state, releaseId: r.release_id, version: r.version, status: r.status as VulnerabilityStatus, installedAt: new Date(r.installed_at) });

const toVulnerability = (r: Selectable<VulnsTables['vulnerabilities']>): VulnerabilityRecord => ({
  id: r.id,
  source: r.source as VulnerabilityRecord['source'],
  productId: r.product_id,
  modified: r.modified,
  published: r.published,
  withdrawn: r.withdrawn,
  summary: r.summary,
  details: r.details,
  aliases: r.aliases,
  document: (r.document ?? null) as Record<string, unknown> | null,
  sha256: r.sha256,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedBy: r.updated_by,
  updatedAt: r.updated_at,
});

const toEntry = (r: Selectable<VulnsTables['vulnerability_releases']>): RegisterEntry => ({
  vulnerabilityId: r.vulnerability_id,
  releaseId: r.release_id,
  productId: r.product_id,
  matched: r.matched,
  components: r.components as MatchedComponent[],
  firstMatchedAt: r.first_matched_at,
  status: r.status as VulnerabilityStatus,
  justification: r.justification as VexJustification | null,
  fixedInReleaseId: r.fixed_in_release_id,
  fixedInVersion: r.fixed_in_version,
  note: r.note,
  statusSetBy: r.status_set_by,
  statusSetAt: r.status_set_at,
});

const toProductVulnerability = (r: Selectable<VulnsTables['product_vulnerabilities']>): ProductVulnerability => ({
  productId: r.product_id,
  vulnerabilityId: r.vulnerability_id,
  firstSeenAt: r.first_seen_at,
  exploitedAwareAt: r.exploited_aware_at,
  exploitedMarkedBy: r.exploited_marked_by,
  exploitedMarkedAt: r.exploited_marked_at,
  exploitedNote: r.exploited_note,
});

const entryRow = (e: RegisterEntry) => ({
  vulnerability_id: e.vulnerabilityId,
  release_id: e.releaseId,
  product_id: e.productId,
  matched: e.matched,
  components: JSON.stringify(e.components),
  first_matched_at: e.firstMatchedAt,
  status: e.status,
  justification: e.justification,
  fixed_in_release_id: e.fixedInReleaseId,
  fixed_in_version: e.fixedInVersion,
  note: e.note,
  status_set_by: e.statusSetBy,
  status_set_at: e.statusSetAt,
});

function chunks<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) out.push(rows.slice(i, i + ROWS_PER_INSERT));
  return out;
}

/** The register's writes and locking reads, in one transaction. */
class VulnsUnitOfWorkImpl extends IdentityUnitOfWorkImpl implements VulnsUnitOfWork {
  readonly #db: VulnsDb;

  constructor(tx: Transaction<Database>) {
    super(tx);
    this.#db = tx.withTables<VulnsTables>();
  }

  async lockMatching(): Promise<void> {
    await sql`select pg_advisory_xact_lock(${MATCHING_LOCK}::bigint)`.execute(this.#db);
  }

  async lockVulnerabilities(ids: string[]): Promise<VulnerabilityRecord[]> {
    if (ids.length === 0) return [];
    return (await this.#db.selectFrom('vulnerabilities').selectAll().where('id', 'in', ids).orderBy('id').forUpdate().execute()).map(toVulnerability);
  }

  async saveVulnerability(v: VulnerabilityRecord, affected: StoredAffected[]): Promise<void> {
    this.wrote = true;
    const row = {
      source: v.source,
      product_id: v.productId,
      modified: v.modified,
      published: v.published,
      withdrawn: v.withdrawn,
      summary: v.summary,
      details: v.details,
      aliases: sql<string[]>`${v.aliases}::text[]`,
      document: v.document === null ? null : JSON.stringify(v.document),
      sha256: v.sha256,
      updated_by: v.updatedBy,
      updated_at: v.updatedAt,
    };
    await this.#db
      .insertInto('vulnerabilities')
      .values({ id: v.id, ...row, created_by: v.createdBy, created_at: v.createdAt })
      .onConflict((oc) => oc.column('id').doUpdateSet(row))
      .execute();
    await this.#db.deleteFrom('vulnerability_packages').where('vulnerability_id', '=', v.id).execute();
    for (const part of chunks(affected.map((a, seq) => ({ a, seq })))) {
      await this.#db
        .insertInto('vulnerability_packages')
        .values(part.map(({ a, seq }) => ({ vulnerability_id: v.id, seq, ecosystem: a.ecosystem, purl_key: a.key, release: a.release, ranges: JSON.stringify(a.ranges), versions: sql<string[]>`${a.versions}::text[]`, any_version: a.anyVersion })))
        .execute();
    }
  }

  async matchCandidates(scope: MatchScope): Promise<MatchCandidate[]> {
    const inScope = 'vulnerabilityIds' in scope ? sql`vp.vulnerability_id = any(${scope.vulnerabilityIds}::text[])` : sql`rc.release_id = any(${scope.releaseIds}::text[])`;
    // The index join: each affected entry with each component of the same purl key. Entries are
    // read once and shared by their candidates (a range's JSON is not repeated per release).
    const { rows } = await sql<{ vulnerability_id: string; seq: number; product_id: string; sku: string; release_id: string; release_version: string; name: string; purl: string | null; version: string | null; distro: string | null }>`
      select vp.vulnerability_id, vp.seq, r.product_id, p.sku, rc.release_id, r.version as release_version, rc.name, rc.purl, rc.version, rc.distro
      from vulnerability_packages vp
        join vulnerabilities v on v.id = vp.vulnerability_id and v.withdrawn is null
        join release_components rc on rc.purl_key = vp.purl_key
        join releases r on r.id = rc.release_id and (v.product_id is null or v.product_id = r.product_id)
        join products p on p.id = r.product_id
      where ${inScope}`.execute(this.#db);
    if (rows.length === 0) return [];
    const keys = [...new Set(rows.map((r) => `${r.vulnerability_id}\u0000${r.seq}`))];
    const entries = new Map<string, StoredAffected>();
    for (const part of chunks(keys)) {
      const ids = part.map((k) => k.split('\u0000')[0]!);
      const seqs = part.map((k) => Number(k.split('\u0000')[1]));
      const found = await sql<Selectable<VulnsTables['vulnerability_packages']>>`select vp.* from vulnerability_packages vp
        join unnest(${ids}::text[], ${seqs}::integer[]) as k(id, seq) on k.id = vp.vulnerability_id and k.seq = vp.seq`.execute(this.#db);
      for (const e of found.rows) {
        entries.set(`${e.vulnerability_id}\u0000${e.seq}`, { ecosystem: e.ecosystem, key: e.purl_key, release: e.release, ranges: e.ranges as VersionRange[], versions: e.versions, anyVersion: e.any_version });
      }
    }
    return rows.map((r) => ({
      vulnerabilityId: r.vulnerability_id,
      seq: r.seq,
      entry: entries.get(`${r.vulnerability_id}\u0000${r.seq}`)!,
      productId: r.product_id,
      sku: r.sku,
      releaseId: r.release_id,
      releaseVersion: r.release_version,
      component: { name: r.name, purl: r.purl, version: r.version, distro: r.distro },
    }));
  }

  async registerEntries(scope: MatchScope): Promise<RegisterEntry[]> {
    const query = this.#db.selectFrom('vulnerability_releases').selectAll();
    const rows = 'vulnerabilityIds' in scope ? await query.where('vulnerability_id', '=', sql<string>`any(${scope.vulnerabilityIds}::text[])`).forUpdate().execute() : await query.where('release_id', '=', sql<string>`any(${scope.releaseIds}::text[])`).forUpdate().execute();
    return rows.map(toEntry);
  }

  async insertRegisterEntries(entries: RegisterEntry[]): Promise<void> {
    if (entries.length === 0) return;
    this.wrote = true;
    for (const part of chunks(entries)) await this.#db.insertInto('vulnerability_releases').values(part.map(entryRow)).execute();
  }

  async updateMatches(updates: Pick<RegisterEntry, 'vulnerabilityId' | 'releaseId' | 'matched' | 'components' | 'firstMatchedAt'>[]): Promise<void> {
    if (updates.length === 0) return;
    this.wrote = true;
    for (const part of chunks(updates)) {
      const col = <T>(f: (u: (typeof part)[number]) => T): T[] => part.map(f);
      await sql`update vulnerability_releases vr set matched = u.matched, components = u.components, first_matched_at = u.first_matched_at
        from unnest(${col((u) => u.vulnerabilityId)}::text[], ${col((u) => u.releaseId)}::text[], ${col((u) => u.matched)}::boolean[],
          ${col((u) => JSON.stringify(u.components))}::jsonb[], ${col((u) => u.firstMatchedAt?.toISOString() ?? null)}::timestamptz[])
          as u(vulnerability_id, release_id, matched, components, first_matched_at)
        where vr.vulnerability_id = u.vulnerability_id and vr.release_id = u.release_id`.execute(this.#db);
    }
  }

  async deleteRegisterEntries(keys: Pick<RegisterEntry, 'vulnerabilityId' | 'releaseId'>[]): Promise<void> {
    if (keys.length === 0) return;
    this.wrote = true;
    for (const part of chunks(keys)) {
      await sql`delete from vulnerability_releases vr using unnest(${part.map((k) => k.vulnerabilityId)}::text[], ${part.map((k) => k.releaseId)}::text[]) as k(vulnerability_id, release_id)
        where vr.vulnerability_id = k.vulnerability_id and vr.release_id = k.release_id`.execute(this.#db);
    }
  }

  async touchProductVulnerabilities(pairs: { productId: string; vulnerabilityId: string }[], at: Date): Promise<void> {
    const unique = [...new Map(pairs.map((p) => [`${p.productId}\u0000${p.vulnerabilityId}`, p])).values()];
    for (const part of chunks(unique)) {
      await sql`insert into product_vulnerabilities (product_id, vulnerability_id, first_seen_at)
        select k.product_id, k.vulnerability_id, ${at.toISOString()}::timestamptz from unnest(${part.map((p) => p.productId)}::text[], ${part.map((p) => p.vulnerabilityId)}::text[]) as k(product_id, vulnerability_id)
        on conflict do nothing`.execute(this.#db);
    }
  }

  // Derived from the SBOM, whose digest the release's own event carries: no event of its own.
  async saveReleaseComponents(releaseId: string, c: SbomComponents, at: Date): Promise<boolean> {
    const marked = await this.#db
      .insertInto('release_sbom_index')
      .values({ release_id: releaseId, components: c.components.length, without_purl: c.withoutPurl, invalid_purl: c.invalidPurl, indexed_at: at })
      .onConflict((oc) => oc.column('release_id').doNothing())
      .returning('release_id')
      .executeTakeFirst();
    if (!marked) return false;
    for (const part of chunks(c.components.map((x, seq) => ({ x, seq })))) {
      await this.#db
        .insertInto('release_components')
        .values(part.map(({ x, seq }) => ({ release_id: releaseId, seq, name: x.name, purl: x.purl, purl_key: x.key, version: x.version, distro: x.distro })))
        .execute();
    }
    return true;
  }

  async lockRegisterEntry(vulnerabilityId: string, releaseId: string): Promise<RegisterEntry | undefined> {
    const r = await this.#db.selectFrom('vulnerability_releases').selectAll().where('vulnerability_id', '=', vulnerabilityId).where('release_id', '=', releaseId).forUpdate().executeTakeFirst();
    return r && toEntry(r);
  }

  async saveRegisterEntry(e: RegisterEntry): Promise<void> {
    this.wrote = true;
    const row = entryRow(e);
    await this.#db
      .insertInto('vulnerability_releases')
      .values(row)
      .onConflict((oc) => oc.columns(['vulnerability_id', 'release_id']).doUpdateSet({ status: row.status, justification: row.justification, fixed_in_release_id: row.fixed_in_release_id, fixed_in_version: row.fixed_in_version, note: row.note, status_set_by: row.status_set_by, status_set_at: row.status_set_at }))
      .execute();
  }

  async lockProductVulnerability(productId: string, vulnerabilityId: string): Promise<ProductVulnerability | undefined> {
    const r = await this.#db.selectFrom('product_vulnerabilities').selectAll().where('product_id', '=', productId).where('vulnerability_id', '=', vulnerabilityId).forUpdate().executeTakeFirst();
    return r && toProductVulnerability(r);
  }

  async saveProductVulnerability(p: ProductVulnerability): Promise<void> {
    this.wrote = true;
    const row = { first_seen_at: p.firstSeenAt, exploited_aware_at: p.exploitedAwareAt, exploited_marked_by: p.exploitedMarkedBy, exploited_marked_at: p.exploitedMarkedAt, exploited_note: p.exploitedNote };
    await this.#db
      .insertInto('product_vulnerabilities')
      .values({ product_id: p.productId, vulnerability_id: p.vulnerabilityId, ...row })
      .onConflict((oc) => oc.columns(['product_id', 'vulnerability_id']).doUpdateSet(row))
      .execute();
  }
}

export class VulnsRepository implements VulnsStore {
  readonly #base: Kysely<Database>;
  readonly #db: VulnsDb;
  readonly #clock: Clock;

  constructor(db: Kysely<Database>, clock: Clock) {
    this.#base = db;
    this.#db = db.withTables<VulnsTables>();
    this.#clock = clock;
  }

  unitOfWork<T>(fn: (uow: VulnsUnitOfWork) => Promise<T>, options?: { at?: Date }): Promise<T> {
    return runUnitOfWork(this.#base, (tx: Transaction<Database>) => new VulnsUnitOfWorkImpl(tx), fn, options?.at ?? this.#clock.now());
  }

  async findVulnerability(id: string): Promise<VulnerabilityRecord | undefined> {
    const r = await this.#db.selectFrom('vulnerabilities').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toVulnerability(r);
  }

  async listProductVulnerabilities(productId: string): Promise<VulnerabilityRecord[]> {
    const { rows } = await sql<Selectable<VulnsTables['vulnerabilities']>>`select v.* from vulnerabilities v
      where v.product_id = ${productId}
        or exists (select 1 from vulnerability_releases vr where vr.vulnerability_id = v.id and vr.product_id = ${productId})
        or exists (select 1 from product_vulnerabilities pv where pv.vulnerability_id = v.id and pv.product_id = ${productId})
      order by v.id`.execute(this.#db);
    return rows.map(toVulnerability);
  }

  async registerRows(productId: string, vulnerabilityId?: string): Promise<RegisterRow[]> {
    let query = this.#db
      .selectFrom('vulnerability_releases as vr')
      .innerJoin('releases as r', 'r.id', 'vr.release_id')
      .selectAll('vr')
      .select(['r.version as release_version', 'r.kind as release_kind', 'r.state as release_state'])
      .where('vr.product_id', '=', productId);
    if (vulnerabilityId !== undefined) query = query.where('vr.vulnerability_id', '=', vulnerabilityId);
    const rows = await query.orderBy('vr.vulnerability_id').orderBy('r.created_at').orderBy('r.id').execute();
    return rows.map((r) => ({ ...toEntry(r), releaseVersion: r.release_version, releaseKind: r.release_kind, releaseState: r.release_state }));
  }

  async productVulnerabilities(productId: string, vulnerabilityId?: string): Promise<ProductVulnerability[]> {
    let query = this.#db.selectFrom('product_vulnerabilities').selectAll().where('product_id', '=', productId);
    if (vulnerabilityId !== undefined) query = query.where('vulnerability_id', '=', vulnerabilityId);
    return (await query.execute()).map(toProductVulnerability);
  }

  /**
   * The affected-device list (docs/benchmarks.md "vulns"): the product's devices walked in serial
   * order, at most SERIAL_WALK_PER_ROW × limit of them, each probed for its release's register row;
   * when that walk ends short of a page, the rest of the page from the register's join after the
   * last serial walked. A dense list (many of the product's devices affected) fills a page within
   * a short walk; a sparse one costs at most that walk more than the join, which reads every
   * affected device after `after` on every page. Both plans give the same rows (a test keeps them so).
   */
  async affectedDevices(productId: string, vulnerabilityId: string, page: { after?: string; limit: number }): Promise<AffectedDevice[]> {
    const walk = await this.affectedDevicesBySerialWalk(productId, vulnerabilityId, page, page.limit * SERIAL_WALK_PER_ROW);
    if (walk.continueAfter === null) return walk.rows;
    const rest = await this.affectedDevicesByJoin(productId, vulnerabilityId, { after: walk.continueAfter, limit: page.limit - walk.rows.length });
    return [...walk.rows, ...rest];
  }

  /**
   * Plan 1, the register's join: every affected device (after `after`) read and sorted by serial.
   * Its cost is the list's length whatever the page.
   */
  async affectedDevicesByJoin(productId: string, vulnerabilityId: string, page: { after?: string; limit: number }): Promise<AffectedDevice[]> {
    const { rows } = await sql<AffectedRow>`
      select d.serial, d.state, dr.release_id, r.version, vr.status, dr.installed_at
      from vulnerability_releases vr
        join device_releases dr on dr.release_id = vr.release_id
        join devices d on d.id = dr.device_id
        join releases r on r.id = vr.release_id
      where vr.product_id = ${productId} and vr.vulnerability_id = ${vulnerabilityId} and ${NOT_CLEARED}
        and d.state <> 'decommissioned' ${page.after === undefined ? sql`` : sql`and d.serial > ${page.after}`}
      order by d.serial limit ${page.limit}`.execute(this.#db);
    return rows.map(toAffectedDevice);
  }

  /**
   * Plan 2, the product's serial walk: at most `walk` of the product's devices (not decommissioned,
   * after `after`) in `devices_product_serial` order, each probed for its reported release's register
   * row. A device only runs releases of its own product (recordDeviceReport refuses others), so the
   * product's devices are all the list can hold. `continueAfter`: null when the page is full or the
   * walk reached the product's last device; else the last serial walked, after which the list may go on.
   */
  async affectedDevicesBySerialWalk(productId: string, vulnerabilityId: string, page: { after?: string; limit: number }, walk: number): Promise<{ rows: AffectedDevice[]; continueAfter: string | null }> {
    const after = page.after === undefined ? sql`` : sql`and d.serial > ${page.after}`;
    // The lateral probe keeps the walk a nested loop in serial order, so it stops at the page's last
    // row: a dense list reads about limit ÷ density devices, not the whole walk.
    const { rows } = await sql<AffectedRow>`
      select w.serial, w.state, x.release_id, x.version, x.status, x.installed_at
      from (select d.id, d.serial, d.state from devices d
            where d.product_id = ${productId} and d.state <> 'decommissioned' ${after}
            order by d.serial limit ${walk}) w
        cross join lateral (
          select dr.release_id, r.version, vr.status, dr.installed_at
          from device_releases dr
            join vulnerability_releases vr on vr.vulnerability_id = ${vulnerabilityId} and vr.release_id = dr.release_id
            join releases r on r.id = vr.release_id
          where dr.device_id = w.id and vr.product_id = ${productId} and ${NOT_CLEARED}
        ) x
      order by w.serial limit ${page.limit}`.execute(this.#db);
    const found = rows.map(toAffectedDevice);
    if (found.length === page.limit) return { rows: found, continueAfter: null };
    // Short of a page: did the walk end at the product's last device, or at its length?
    const { rows: last } = await sql<{ serial: string }>`
      select d.serial from devices d where d.product_id = ${productId} and d.state <> 'decommissioned' ${after}
      order by d.serial offset ${walk - 1} limit 1`.execute(this.#db);
    return { rows: found, continueAfter: last[0]?.serial ?? null };
  }

  async countAffectedDevices(productId: string, vulnerabilityIds?: string[]): Promise<Map<string, number>> {
    const { rows } = await sql<{ vulnerability_id: string; n: string | number | bigint }>`
      select vr.vulnerability_id, count(*) as n
      from vulnerability_releases vr
        join device_releases dr on dr.release_id = vr.release_id
        join devices d on d.id = dr.device_id
      where vr.product_id = ${productId} and ${NOT_CLEARED} and d.state <> 'decommissioned'
        ${vulnerabilityIds === undefined ? sql`` : sql`and vr.vulnerability_id = any(${vulnerabilityIds}::text[])`}
      group by vr.vulnerability_id`.execute(this.#db);
    return new Map(rows.map((r) => [r.vulnerability_id, Number(r.n)]));
  }

  async releasesToIndex(limit: number): Promise<ReleaseToIndex[]> {
    const { rows } = await sql<{ id: string; product_id: string; sku: string; version: string; sbom_sha256: string }>`
      select r.id, r.product_id, p.sku, r.version, r.sbom->>'sha256' as sbom_sha256
      from releases r join products p on p.id = r.product_id
      where r.sbom is not null and not exists (select 1 from release_sbom_index i where i.release_id = r.id)
      order by r.created_at, r.id limit ${limit}`.execute(this.#db);
    return rows.map((r) => ({ id: r.id, productId: r.product_id, sku: r.sku, version: r.version, sbomSha256: r.sbom_sha256 }));
  }

  async sbomCoverage(productId: string): Promise<{ releaseId: string; version: string; components: number; withoutPurl: number; invalidPurl: number }[]> {
    const rows = await this.#db
      .selectFrom('release_sbom_index as i')
      .innerJoin('releases as r', 'r.id', 'i.release_id')
      .select(['i.release_id', 'r.version', 'i.components', 'i.without_purl', 'i.invalid_purl'])
      .where('r.product_id', '=', productId)
      .orderBy('r.created_at')
      .orderBy('r.id')
      .execute();
    return rows.map((r) => ({ releaseId: r.release_id, version: r.version, components: r.components, withoutPurl: r.without_purl, invalidPurl: r.invalid_purl }));
  }
}
