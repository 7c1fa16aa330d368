import type { ColumnType, Transaction } from 'kysely';
import { checkNewAccessPath, defaultReviewDue, registeredEvent, retiredEvent } from '../access/access-paths.ts';
import { defaultAccessPathPolicy, type AccessPathKind, type AccessPathPolicy, type NewAccessPath } from '../access/access-paths.types.ts';
import { newId } from '../core/ids.ts';
import { systemRandom } from '../core/random.ts';
import { appendEvents } from './event-writer.ts';
import type { Database } from './schema.types.ts';

type Timestamp = ColumnType<Date, Date, Date>;

/** Migration 0018's tables, added to the schema where they are used. */
// A type, not an interface: withTables wants an index signature.
export type AccessPathTables = {
  access_paths: {
    id: string;
    kind: string;
    name: string;
    product_id: string | null;
    scope: string | null;
    description: string | null;
    owner: string | null;
    expires_at: Timestamp | null;
    expiry_condition: string | null;
    review_due: Timestamp;
    source: string;
    system_ref: string | null;
    registered_by: string;
    registered_at: Timestamp;
    last_reviewed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
    last_reviewed_by: ColumnType<string | null, string | null | undefined, string | null>;
    last_review_outcome: ColumnType<string | null, string | null | undefined, string | null>;
    retired_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
    retired_by: ColumnType<string | null, string | null | undefined, string | null>;
    retired_reason: ColumnType<string | null, string | null | undefined, string | null>;
  };
  access_path_reviews: {
    path_id: string;
    n: number;
    reviewed_at: Timestamp;
    reviewed_by: string;
    outcome: string;
    note: string | null;
    next_review_due: Timestamp | null;
    changes: ColumnType<unknown, string, string>;
  };
};

/**
 * Writes a checked path and its `access_path.registered` event in the caller's transaction.
 * A system path whose `systemRef` already has a live path is not written twice: that path's id is
 * returned and nothing is written (a retried registration, or two servers adopting one token).
 */
export async function insertAccessPath(tx: Transaction<Database>, p: NewAccessPath, at: Date): Promise<{ id: string; inserted: boolean }> {
  const db = tx.withTables<AccessPathTables>();
  const inserted = await db
    .insertInto('access_paths')
    .values({
      id: p.id,
      kind: p.kind,
      name: p.name,
      product_id: p.productId,
      scope: p.scope,
      description: p.description,
      owner: p.owner,
      expires_at: p.expiresAt,
      expiry_condition: p.expiryCondition,
      review_due: p.reviewDue,
      source: p.source,
      system_ref: p.systemRef,
      registered_by: p.registeredBy,
      registered_at: p.registeredAt,
    })
    .onConflict((oc) => oc.column('system_ref').where('retired_at', 'is', null).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted === undefined) {
    const live = await db.selectFrom('access_paths').select('id').where('system_ref', '=', p.systemRef).where('retired_at', 'is', null).executeTakeFirstOrThrow();
    return { id: live.id, inserted: false };
  }
  await appendEvents(tx, [registeredEvent(p)], at);
  return { id: p.id, inserted: true };
}

/** What other code registers: trustplane's own paths (an SSH CA), in its own transaction. */
export interface AccessPathRegistration {
  kind: AccessPathKind;
  /** e.g. `user CA of GW-100` */
  name: string;
  /** `products.id` (not the SKU); absent: installation-wide */
  productId?: string | null;
  scope?: string | null;
  description?: string | null;
  owner: string | null;
  /** a date, a stated condition, or both; neither is standing access (the report names it) */
  expiresAt?: Date | null;
  expiryCondition?: string | null;
  /** default: the policy's interval (90 days) from `at`, or `expiresAt` if sooner */
  reviewDue?: Date;
  source: 'system' | 'manual';
  /** required for `system`: what the path stands for (the SSH CA's id); retireAccessPath finds it by this */
  systemRef?: string | null;
  /** the ledger's actor, e.g. actorName(actor) of whoever created the CA */
  registeredBy: string;
  /** the caller's clock: the registration time */
  at: Date;
}

/**
 * Registers a privileged access path inside the caller's transaction, with its ledger event:
 * `await registerAccessPath(tx, { kind: 'ssh-ca', productId, name, owner, expiresAt, source: 'system', systemRef: caId, registeredBy, at })`.
 * Checked like every registration (VALIDATION_FAILED rolls the caller's transaction back). Returns
 * the path's id; a system path already live for `systemRef` is returned as it is, nothing written.
 */
export async function registerAccessPath(tx: Transaction<Database>, r: AccessPathRegistration, policy: AccessPathPolicy = defaultAccessPathPolicy): Promise<string> {
  const expiresAt = r.expiresAt ?? null;
  const path = checkNewAccessPath(
    {
      id: newId('acp', systemRandom),
      kind: r.kind,
      name: r.name,
      productId: r.productId ?? null,
      scope: r.scope ?? null,
      description: r.description ?? null,
      owner: r.owner,
      expiresAt,
      expiryCondition: r.expiryCondition ?? null,
      reviewDue: r.reviewDue ?? defaultReviewDue(r.at, expiresAt, policy),
      source: r.source,
      systemRef: r.systemRef ?? null,
      registeredBy: r.registeredBy,
      registeredAt: r.at,
    },
    r.at,
    policy,
  );
  return (await insertAccessPath(tx, path, r.at)).id;
}

/**
 * Retires a path inside the caller's transaction, with its `access_path.retired` event: by its id,
 * or (trustplane's own) by what it stands for. Returns the id retired; undefined when no live path
 * matches (nothing written), so a caller retiring what may predate the register need not check first.
 */
export async function retireAccessPath(tx: Transaction<Database>, which: { id: string } | { systemRef: string }, retirement: { by: string; reason: string; at: Date }): Promise<string | undefined> {
  const db = tx.withTables<AccessPathTables>();
  const row = await db
    .updateTable('access_paths')
    .set({ retired_at: retirement.at, retired_by: retirement.by, retired_reason: retirement.reason })
    .where('retired_at', 'is', null)
    .where('id' in which ? 'id' : 'system_ref', '=', 'id' in which ? which.id : which.systemRef)
    .returning('id')
    .executeTakeFirst();
  if (row === undefined) return undefined;
  await appendEvents(tx, [retiredEvent(row.id, retirement.by, retirement.reason)], retirement.at);
  return row.id;
}
