import { sql, type ColumnType, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Clock } from '../core/clock.ts';
import type { CaseState, CaseSubject, FixRelease, IncidentRecord, ReportCase, ReportStage, SubmissionRecord } from '../article14/article14.types.ts';
import type { Article14Store, Article14UnitOfWork } from '../article14/article14-store.types.ts';
import { runUnitOfWork } from './identity-repository.ts';
import { IdentityUnitOfWorkImpl } from './identity-unit-of-work.ts';
import type { Database } from './schema.types.ts';

type Timestamp = ColumnType<Date, Date, Date>;

/** Migration 0014's tables, added to the schema where they are used. */
// A type, not an interface: withTables wants an index signature.
type Article14Tables = {
  incidents: { id: string; product_id: string; aware_at: Timestamp; description: string; recorded_by: string; recorded_at: Timestamp };
  report_submissions: { case_id: string; stage: string; reference: string; submitted_at: Timestamp; recipients: ColumnType<string[], RawBuilder<string[]>, never>; recorded_by: string; recorded_at: Timestamp };
};
type Article14Db = Kysely<Database & Article14Tables>;
type Executor = Kysely<Database> | Transaction<Database>;

/**
 * A vulnerability's case id, the same whether its row is written yet or not: `rpc_` and 20 hex
 * digits of SHA-256 over `<product id>:<vulnerability id>` (a product id holds no `:`).
 */
const vulnerabilityCaseId = sql<string>`'rpc_' || substr(encode(sha256(convert_to(pv.product_id || ':' || pv.vulnerability_id, 'UTF8')), 'hex'), 1, 20)`;

/** A key for pg_advisory_xact_lock serialising a product's incident recording (retries are matched, not doubled). */
const incidentLockKey = (productId: string) => sql`hashtextextended(${`incidents:${productId}`}, 0)`;

interface CaseRow {
  case_id: string;
  product_id: string;
  aware_at: Date;
  vulnerability_id: string | null;
  summary: string | null;
  exploited_marked_by: string | null;
  exploited_note: string | null;
  incident_id: string | null;
  description: string | null;
  incident_recorded_by: string | null;
  stored: boolean;
  member_states: string[] | null;
  draft: unknown;
  mitigation_available_at: Date | null;
  created_by: string | null;
  created_at: Date | null;
  updated_by: string | null;
  updated_at: Date | null;
}

/** Case filters: products (all when absent), one case. */
interface CaseFilter {
  productIds?: readonly string[] | undefined;
  caseId?: string;
}

interface IncidentRow {
  id: string;
  product_id: string;
  aware_at: Date;
  description: string;
  recorded_by: string;
  recorded_at: Date;
  case_id: string;
}

const toIncident = (r: IncidentRow): IncidentRecord & { caseId: string } => ({
  id: r.id,
  productId: r.product_id,
  awareAt: new Date(r.aware_at),
  description: r.description,
  recordedBy: r.recorded_by,
  recordedAt: new Date(r.recorded_at),
  caseId: r.case_id,
});

const date = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

/**
 * Every case the filter names: each exploited vulnerability of a product (its row joined when
 * written) and each incident, with the fix release and the submissions. One query per part.
 */
async function loadCases(db: Executor, filter: CaseFilter): Promise<ReportCase[]> {
  const products = filter.productIds === undefined ? sql`true` : sql`pv.product_id = any(${filter.productIds}::text[])`;
  const incidentProducts = filter.productIds === undefined ? sql`true` : sql`rc.product_id = any(${filter.productIds}::text[])`;
  const vulnCase = filter.caseId === undefined ? sql`true` : sql`${vulnerabilityCaseId} = ${filter.caseId}`;
  const incidentCase = filter.caseId === undefined ? sql`true` : sql`rc.id = ${filter.caseId}`;
  const { rows } = await sql<CaseRow>`
    select ${vulnerabilityCaseId} as case_id, pv.product_id, pv.exploited_aware_at as aware_at, pv.vulnerability_id, v.summary, pv.exploited_marked_by, pv.exploited_note,
      null as incident_id, null as description, null as incident_recorded_by, rc.id is not null as stored,
      rc.member_states, rc.draft, rc.mitigation_available_at, rc.created_by, rc.created_at, rc.updated_by, rc.updated_at
    from product_vulnerabilities pv
      join vulnerabilities v on v.id = pv.vulnerability_id
      left join report_cases rc on rc.product_id = pv.product_id and rc.vulnerability_id = pv.vulnerability_id
    where pv.exploited_aware_at is not null and ${products} and ${vulnCase}
    union all
    select rc.id as case_id, rc.product_id, i.aware_at, null, null, null, null,
      i.id, i.description, i.recorded_by, true,
      rc.member_states, rc.draft, rc.mitigation_available_at, rc.created_by, rc.created_at, rc.updated_by, rc.updated_at
    from report_cases rc join incidents i on i.id = rc.incident_id
    where rc.kind = 'incident' and ${incidentProducts} and ${incidentCase}
    order by aware_at, case_id`.execute(db);
  if (rows.length === 0) return [];
  const fixes = await fixReleases(db, rows.filter((r) => r.vulnerability_id !== null).map((r) => ({ productId: r.product_id, vulnerabilityId: r.vulnerability_id! })));
  const submissions = await submissionsOf(db, rows.map((r) => r.case_id));
  return rows.map((r) => toCase(r, fixes.get(`${r.product_id}:${r.vulnerability_id}`) ?? null, submissions.get(r.case_id) ?? []));
}

/**
 * The first published release the register names as fixing each vulnerability (a row `fixed` in
 * a release, the release itself or a later one): when a corrective measure became available.
 */
async function fixReleases(db: Executor, pairs: { productId: string; vulnerabilityId: string }[]): Promise<Map<string, FixRelease>> {
  if (pairs.length === 0) return new Map();
  const { rows } = await sql<{ product_id: string; vulnerability_id: string; id: string; version: string; published_at: Date }>`
    select distinct on (vr.product_id, vr.vulnerability_id) vr.product_id, vr.vulnerability_id, r.id, r.version, r.published_at
    from vulnerability_releases vr
      join unnest(${pairs.map((p) => p.productId)}::text[], ${pairs.map((p) => p.vulnerabilityId)}::text[]) as k(product_id, vulnerability_id)
        on k.product_id = vr.product_id and k.vulnerability_id = vr.vulnerability_id
      join releases r on r.id = vr.fixed_in_release_id
    where vr.status = 'fixed' and r.published_at is not null
    order by vr.product_id, vr.vulnerability_id, r.published_at, r.id`.execute(db);
  return new Map(rows.map((r) => [`${r.product_id}:${r.vulnerability_id}`, { releaseId: r.id, version: r.version, publishedAt: new Date(r.published_at) }]));
}

async function submissionsOf(db: Executor, caseIds: string[]): Promise<Map<string, SubmissionRecord[]>> {
  const rows = await db.withTables<Article14Tables>().selectFrom('report_submissions').selectAll().where('case_id', '=', sql<string>`any(${caseIds}::text[])`).orderBy('submitted_at').orderBy('stage').orderBy('reference').execute();
  const out = new Map<string, SubmissionRecord[]>();
  for (const r of rows) {
    const list = out.get(r.case_id) ?? [];
    list.push({ caseId: r.case_id, stage: r.stage as ReportStage, submittedAt: new Date(r.submitted_at), reference: r.reference, to: r.recipients, recordedBy: r.recorded_by, recordedAt: new Date(r.recorded_at) });
    out.set(r.case_id, list);
  }
  return out;
}

function toCase(r: CaseRow, fix: FixRelease | null, submissions: SubmissionRecord[]): ReportCase {
  const subject: CaseSubject =
    r.vulnerability_id !== null
      ? { kind: 'vulnerability', vulnerabilityId: r.vulnerability_id, summary: r.summary, exploitedMarkedBy: r.exploited_marked_by, exploitedNote: r.exploited_note }
      : { kind: 'incident', incidentId: r.incident_id!, description: r.description!, recordedBy: r.incident_recorded_by! };
  return {
    id: r.case_id,
    productId: r.product_id,
    subject,
    awareAt: new Date(r.aware_at),
    fix: subject.kind === 'vulnerability' ? fix : null,
    submissions,
    stored: r.stored,
    memberStates: r.member_states,
    draft: r.draft ?? {},
    mitigationAvailableAt: date(r.mitigation_available_at),
    createdBy: r.created_by,
    createdAt: date(r.created_at),
    updatedBy: r.updated_by,
    updatedAt: date(r.updated_at),
  };
}

/** Article 14's writes and locking reads, in one transaction. */
class Article14UnitOfWorkImpl extends IdentityUnitOfWorkImpl implements Article14UnitOfWork {
  readonly #db: Article14Db;

  constructor(tx: Transaction<Database>) {
    super(tx);
    this.#db = tx.withTables<Article14Tables>();
  }

  async lockCase(productId: string, caseId: string): Promise<ReportCase | undefined> {
    const vulnerability = await sql`select 1 from product_vulnerabilities pv
      where pv.product_id = ${productId} and pv.exploited_aware_at is not null and ${vulnerabilityCaseId} = ${caseId} for update`.execute(this.#db);
    if (vulnerability.rows.length === 0) {
      const incident = await sql`select 1 from report_cases where id = ${caseId} and product_id = ${productId} and kind = 'incident' for update`.execute(this.#db);
      if (incident.rows.length === 0) return undefined;
    }
    return (await loadCases(this.tx, { productIds: [productId], caseId }))[0];
  }

  async saveCase(c: ReportCase, s: CaseState): Promise<void> {
    this.wrote = true;
    const memberStates = s.memberStates === null ? null : sql`${s.memberStates}::text[]`;
    const state = sql`${memberStates}, ${JSON.stringify(s.draft)}::jsonb, ${s.mitigationAvailableAt?.toISOString() ?? null}::timestamptz`;
    const subject = c.subject.kind === 'vulnerability' ? sql`'vulnerability', ${c.subject.vulnerabilityId}, null` : sql`'incident', null, ${c.subject.incidentId}`;
    await sql`insert into report_cases (id, product_id, kind, vulnerability_id, incident_id, member_states, draft, mitigation_available_at, created_by, created_at, updated_by, updated_at)
      values (${c.id}, ${c.productId}, ${subject}, ${state}, ${s.createdBy}, ${s.createdAt?.toISOString() ?? null}::timestamptz, ${s.updatedBy}, ${s.updatedAt?.toISOString() ?? null}::timestamptz)
      on conflict (id) do update set member_states = excluded.member_states, draft = excluded.draft, mitigation_available_at = excluded.mitigation_available_at,
        updated_by = excluded.updated_by, updated_at = excluded.updated_at`.execute(this.#db);
  }

  async insertSubmission(s: SubmissionRecord): Promise<void> {
    this.wrote = true;
    await this.#db
      .insertInto('report_submissions')
      .values({ case_id: s.caseId, stage: s.stage, reference: s.reference, submitted_at: s.submittedAt, recipients: sql<string[]>`${s.to}::text[]`, recorded_by: s.recordedBy, recorded_at: s.recordedAt })
      .execute();
  }

  async findIncident(productId: string, awareAt: Date, description: string): Promise<(IncidentRecord & { caseId: string }) | undefined> {
    await sql`select pg_advisory_xact_lock(${incidentLockKey(productId)})`.execute(this.#db);
    const { rows } = await sql<IncidentRow>`select i.*, rc.id as case_id from incidents i join report_cases rc on rc.incident_id = i.id
      where i.product_id = ${productId} and i.aware_at = ${awareAt.toISOString()}::timestamptz and i.description = ${description} order by i.id limit 1`.execute(this.#db);
    return rows[0] && toIncident(rows[0]);
  }

  async insertIncident(i: IncidentRecord, caseId: string): Promise<void> {
    this.wrote = true;
    await this.#db.insertInto('incidents').values({ id: i.id, product_id: i.productId, aware_at: i.awareAt, description: i.description, recorded_by: i.recordedBy, recorded_at: i.recordedAt }).execute();
    await sql`insert into report_cases (id, product_id, kind, incident_id, draft, created_by, created_at, updated_by, updated_at)
      values (${caseId}, ${i.productId}, 'incident', ${i.id}, '{}'::jsonb, ${i.recordedBy}, ${i.recordedAt.toISOString()}::timestamptz, ${i.recordedBy}, ${i.recordedAt.toISOString()}::timestamptz)`.execute(this.#db);
  }
}

export class Article14Repository implements Article14Store {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;

  constructor(db: Kysely<Database>, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  unitOfWork<T>(fn: (uow: Article14UnitOfWork) => Promise<T>, options?: { at?: Date }): Promise<T> {
    return runUnitOfWork(this.#db, (tx: Transaction<Database>) => new Article14UnitOfWorkImpl(tx), fn, options?.at ?? this.#clock.now());
  }

  async findCase(productId: string, caseId: string): Promise<ReportCase | undefined> {
    return (await loadCases(this.#db, { productIds: [productId], caseId }))[0];
  }

  listCases(productIds?: readonly string[]): Promise<ReportCase[]> {
    return loadCases(this.#db, { productIds });
  }

  async listIncidents(productId: string): Promise<(IncidentRecord & { caseId: string })[]> {
    const { rows } = await sql<IncidentRow>`select i.*, rc.id as case_id from incidents i join report_cases rc on rc.incident_id = i.id
      where i.product_id = ${productId} order by i.aware_at, i.id`.execute(this.#db);
    return rows.map(toIncident);
  }
}
