import { sql, type Kysely, type Selectable } from 'kysely';
import type { AccessPathChange, AccessPathFilter, AccessPathStore } from '../access/access-paths.ts';
import type { AccessPathKind, AccessPathRecord, AccessPathReview, AccessPathSource, NewAccessPath, ReviewOutcome } from '../access/access-paths.types.ts';
import type { Clock } from '../core/clock.ts';
import { TrustplaneError } from '../core/errors.ts';
import { insertAccessPath, type AccessPathTables } from './access-path-writer.ts';
import { appendEvents } from './event-writer.ts';
import type { Database } from './schema.types.ts';

type PathRow = Selectable<AccessPathTables['access_paths']> & { sku: string | null };
type Db = Kysely<Database & AccessPathTables>;

const date = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

const toPath = (r: PathRow): AccessPathRecord => ({
  id: r.id,
  kind: r.kind as AccessPathKind,
  name: r.name,
  productId: r.product_id,
  productSku: r.sku,
  scope: r.scope,
  description: r.description,
  owner: r.owner,
  expiresAt: date(r.expires_at),
  expiryCondition: r.expiry_condition,
  reviewDue: new Date(r.review_due),
  source: r.source as AccessPathSource,
  systemRef: r.system_ref,
  registeredBy: r.registered_by,
  registeredAt: new Date(r.registered_at),
  lastReview:
    r.last_reviewed_at === null || r.last_reviewed_by === null || r.last_review_outcome === null
      ? null
      : { at: new Date(r.last_reviewed_at), by: r.last_reviewed_by, outcome: r.last_review_outcome as ReviewOutcome },
  retired: r.retired_at === null || r.retired_by === null ? null : { at: new Date(r.retired_at), by: r.retired_by, reason: r.retired_reason ?? '' },
});

function selectPaths(db: Db) {
  return db.selectFrom('access_paths as p').leftJoin('products as pr', 'pr.id', 'p.product_id').selectAll('p').select('pr.sku as sku');
}

/** The register's storage, one implementation for PGlite and PostgreSQL. */
export class AccessPathRepository implements AccessPathStore {
  readonly #base: Kysely<Database>;
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(db: Kysely<Database>, clock: Clock) {
    this.#base = db;
    this.#db = db.withTables<AccessPathTables>();
    this.#clock = clock;
  }

  async register(path: NewAccessPath): Promise<AccessPathRecord> {
    await this.#base.transaction().execute((tx) => insertAccessPath(tx, path, this.#clock.now()));
    return (await this.find(path.id))!;
  }

  async find(id: string): Promise<AccessPathRecord | undefined> {
    const r = await selectPaths(this.#db).where('p.id', '=', id).executeTakeFirst();
    return r && toPath(r);
  }

  async list(filter: AccessPathFilter): Promise<AccessPathRecord[]> {
    let q = selectPaths(this.#db);
    if (filter.kind !== undefined) q = q.where('p.kind', '=', filter.kind);
    if (filter.productId !== undefined) q = q.where('p.product_id', '=', filter.productId);
    if (filter.includeEnded !== true) {
      const at = filter.at ?? this.#clock.now();
      q = q.where('p.retired_at', 'is', null).where((eb) => eb.or([eb('p.source', '!=', 'system'), eb('p.expires_at', 'is', null), eb('p.expires_at', '>', at)]));
    }
    return (await q.orderBy('p.registered_at').orderBy('p.id').execute()).map(toPath);
  }

  async reviewsOf(id: string): Promise<AccessPathReview[]> {
    const rows = await this.#db.selectFrom('access_path_reviews').selectAll().where('path_id', '=', id).orderBy('n').execute();
    return rows.map((r) => ({
      at: new Date(r.reviewed_at),
      by: r.reviewed_by,
      outcome: r.outcome as ReviewOutcome,
      note: r.note,
      nextReviewDue: date(r.next_review_due),
      changes: (typeof r.changes === 'string' ? JSON.parse(r.changes) : r.changes) as AccessPathReview['changes'],
    }));
  }

  async change(id: string, decide: (path: AccessPathRecord) => AccessPathChange, at: Date): Promise<AccessPathRecord> {
    await this.#base.transaction().execute(async (base) => {
      const tx = base.withTables<AccessPathTables>();
      const row = await selectPaths(tx).where('p.id', '=', id).forUpdate('p').executeTakeFirst();
      if (!row) throw new TrustplaneError('ACCESS_PATH_NOT_FOUND');
      const { update, review, event } = decide(toPath(row));
      await tx
        .updateTable('access_paths')
        .set({
          ...(update.owner === undefined ? {} : { owner: update.owner }),
          ...(update.expiresAt === undefined ? {} : { expires_at: update.expiresAt }),
          ...(update.expiryCondition === undefined ? {} : { expiry_condition: update.expiryCondition }),
          ...(update.reviewDue === undefined ? {} : { review_due: update.reviewDue }),
          ...(review === null ? {} : { last_reviewed_at: review.at, last_reviewed_by: review.by, last_review_outcome: review.outcome }),
          ...(update.retired === undefined ? {} : { retired_at: update.retired.at, retired_by: update.retired.by, retired_reason: update.retired.reason }),
        })
        .where('id', '=', id)
        .execute();
      if (review !== null) {
        await sql`insert into access_path_reviews (path_id, n, reviewed_at, reviewed_by, outcome, note, next_review_due, changes)
          select ${id}, coalesce(max(n), 0) + 1, ${review.at.toISOString()}::timestamptz, ${review.by}, ${review.outcome}, ${review.note},
            ${review.nextReviewDue?.toISOString() ?? null}::timestamptz, ${JSON.stringify(review.changes)}::jsonb
          from access_path_reviews where path_id = ${id}`.execute(tx);
      }
      await appendEvents(base, [event], at);
    });
    return (await this.find(id))!;
  }
}
