import { sql, type ColumnType, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Clock } from '../core/clock.ts';
import type { AdvisoryRecord, AdvisoryStatement, AdvisoryStore, AdvisoryUnitOfWork, AdvisoryVersion, PublishedStatus } from '../vulns/csaf/advisory-store.types.ts';
import type { CsafProfile } from '../vulns/csaf/csaf.types.ts';
import { runUnitOfWork } from './identity-repository.ts';
import { IdentityUnitOfWorkImpl } from './identity-unit-of-work.ts';
import type { Database } from './schema.types.ts';

type Timestamp = ColumnType<Date, Date, Date>;

/** Migration 0015's tables, added to the schema where they are used. */
// A type, not an interface: withTables wants an index signature.
type AdvisoryTables = {
  advisories: {
    tracking_id: string;
    product_id: string;
    vulnerability_id: string | null;
    profile: string;
    file_name: string;
    initial_release_date: Timestamp;
    current_version: number;
    current_release_date: Timestamp;
    current_status: string;
    sha256: string;
    created_by: string;
  };
  advisory_versions: {
    tracking_id: string;
    version: number;
    status: string;
    date: Timestamp;
    summary: string;
    content_sha256: string;
    sha256: string;
    statement: ColumnType<unknown, string, string>;
    document: string;
    published_by: string;
  };
};
type AdvisoryDb = Kysely<Database & AdvisoryTables>;

/** pg_advisory_xact_lock class serialising publications per file name ("csaf" in ASCII). */
const PUBLISH_LOCK = 0x63736166;

const toAdvisory = (r: Selectable<AdvisoryTables['advisories']>): AdvisoryRecord => ({
  trackingId: r.tracking_id,
  productId: r.product_id,
  vulnerabilityId: r.vulnerability_id,
  profile: r.profile as CsafProfile,
  fileName: r.file_name,
  initialReleaseDate: r.initial_release_date,
  currentVersion: r.current_version,
  currentReleaseDate: r.current_release_date,
  currentStatus: r.current_status as PublishedStatus,
  sha256: r.sha256,
  createdBy: r.created_by,
});

const versionColumns = ['tracking_id', 'version', 'status', 'date', 'summary', 'content_sha256', 'sha256', 'statement', 'published_by'] as const;

const toVersion = (r: Pick<Selectable<AdvisoryTables['advisory_versions']>, (typeof versionColumns)[number]>): AdvisoryVersion => ({
  trackingId: r.tracking_id,
  version: r.version,
  status: r.status as PublishedStatus,
  date: r.date,
  summary: r.summary,
  contentSha256: r.content_sha256,
  sha256: r.sha256,
  statement: r.statement as AdvisoryStatement,
  publishedBy: r.published_by,
});

async function versionsOf(db: AdvisoryDb | Transaction<Database & AdvisoryTables>, trackingId: string): Promise<AdvisoryVersion[]> {
  return (await db.selectFrom('advisory_versions').select(versionColumns).where('tracking_id', '=', trackingId).orderBy('version').execute()).map(toVersion);
}

class AdvisoryUnitOfWorkImpl extends IdentityUnitOfWorkImpl implements AdvisoryUnitOfWork {
  readonly #db: Transaction<Database & AdvisoryTables>;

  constructor(tx: Transaction<Database>) {
    super(tx);
    this.#db = tx.withTables<AdvisoryTables>();
  }

  async lockFileName(fileName: string): Promise<void> {
    await sql`select pg_advisory_xact_lock(${PUBLISH_LOCK}::integer, hashtext(${fileName}))`.execute(this.#db);
  }

  async findByFileName(fileName: string): Promise<AdvisoryRecord | undefined> {
    const r = await this.#db.selectFrom('advisories').selectAll().where('file_name', '=', fileName).executeTakeFirst();
    return r && toAdvisory(r);
  }

  versions(trackingId: string): Promise<AdvisoryVersion[]> {
    return versionsOf(this.#db, trackingId);
  }

  async saveVersion(a: AdvisoryRecord, v: AdvisoryVersion, document: string): Promise<void> {
    this.wrote = true;
    const current = { current_version: a.currentVersion, current_release_date: a.currentReleaseDate, current_status: a.currentStatus, sha256: a.sha256 };
    await this.#db
      .insertInto('advisories')
      .values({ tracking_id: a.trackingId, product_id: a.productId, vulnerability_id: a.vulnerabilityId, profile: a.profile, file_name: a.fileName, initial_release_date: a.initialReleaseDate, created_by: a.createdBy, ...current })
      .onConflict((oc) => oc.column('tracking_id').doUpdateSet(current))
      .execute();
    await this.#db
      .insertInto('advisory_versions')
      .values({ tracking_id: v.trackingId, version: v.version, status: v.status, date: v.date, summary: v.summary, content_sha256: v.contentSha256, sha256: v.sha256, statement: JSON.stringify(v.statement), document, published_by: v.publishedBy })
      .execute();
  }
}

export class AdvisoriesRepository implements AdvisoryStore {
  readonly #base: Kysely<Database>;
  readonly #db: AdvisoryDb;
  readonly #clock: Clock;

  constructor(db: Kysely<Database>, clock: Clock) {
    this.#base = db;
    this.#db = db.withTables<AdvisoryTables>();
    this.#clock = clock;
  }

  unitOfWork<T>(fn: (uow: AdvisoryUnitOfWork) => Promise<T>, options?: { at?: Date }): Promise<T> {
    return runUnitOfWork(this.#base, (tx: Transaction<Database>) => new AdvisoryUnitOfWorkImpl(tx), fn, options?.at ?? this.#clock.now());
  }

  async listAdvisories(productId?: string): Promise<AdvisoryRecord[]> {
    let query = this.#db.selectFrom('advisories').selectAll();
    if (productId !== undefined) query = query.where('product_id', '=', productId);
    return (await query.orderBy('tracking_id').execute()).map(toAdvisory);
  }

  async findAdvisory(trackingId: string): Promise<AdvisoryRecord | undefined> {
    const r = await this.#db.selectFrom('advisories').selectAll().where('tracking_id', '=', trackingId).executeTakeFirst();
    return r && toAdvisory(r);
  }

  async findByFileName(fileName: string): Promise<AdvisoryRecord | undefined> {
    const r = await this.#db.selectFrom('advisories').selectAll().where('file_name', '=', fileName).executeTakeFirst();
    return r && toAdvisory(r);
  }

  versions(trackingId: string): Promise<AdvisoryVersion[]> {
    return versionsOf(this.#db, trackingId);
  }

  async document(trackingId: string, version?: number): Promise<{ text: string; sha256: string; version: number } | undefined> {
    let query = this.#db.selectFrom('advisory_versions').select(['document', 'sha256', 'version']).where('tracking_id', '=', trackingId);
    query = version === undefined ? query.orderBy('version', 'desc').limit(1) : query.where('version', '=', version);
    const r = await query.executeTakeFirst();
    return r && { text: r.document, sha256: r.sha256, version: r.version };
  }
}
