import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** SHA-256 of the empty string: RFC 9162 §2.1.1's MTH of the empty list, the root of a tree of size 0. */
const emptyTreeRoot = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * The trust ledger (issue 3): the events table is the log's entries (leaf index = events.seq);
 * these tables hold the Merkle tree the integrator builds over them and its signed checkpoints.
 */
export const ledger: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    // One row: the integrated tree. Integrators lock it (select … for update), so two servers on one
    // PostgreSQL never integrate the same range twice. origin and key_id are fixed by the first integration.
    await db.schema
      .createTable('ledger_state')
      .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
      .addColumn('tree_size', 'bigint', (c) => c.notNull().check(sql`tree_size >= 0`))
      .addColumn('root', 'bytea', (c) => c.notNull().check(sql`octet_length(root) = 32`))
      .addColumn('origin', 'text')
      .addColumn('key_id', 'text', (c) => c.references('keys.id'))
      .addCheckConstraint('ledger_state_identity', sql`(origin is null) = (key_id is null)`)
      .execute();
    await db
      .insertInto('ledger_state' as never)
      .values({ id: 1, tree_size: 0, root: sql`decode(${emptyTreeRoot}, 'hex')` })
      .execute();

    // Complete subtrees: 2^level leaves from leaf idx·2^level (tlog-tiles addressing); level 0 = leaf hashes.
    await db.schema
      .createTable('ledger_nodes')
      .addColumn('level', 'integer', (c) => c.notNull().check(sql`level >= 0 and level < 64`))
      .addColumn('idx', 'bigint', (c) => c.notNull().check(sql`idx >= 0`))
      .addColumn('hash', 'bytea', (c) => c.notNull().check(sql`octet_length(hash) = 32`))
      .addPrimaryKeyConstraint('ledger_nodes_pk', ['level', 'idx'])
      .execute();

    // Every signed checkpoint is kept: an auditor may hold any of them and ask for consistency from it.
    await db.schema
      .createTable('ledger_checkpoints')
      .addColumn('tree_size', 'bigint', (c) => c.primaryKey().check(sql`tree_size >= 0`))
      .addColumn('root', 'bytea', (c) => c.notNull().check(sql`octet_length(root) = 32`))
      .addColumn('note', 'text', (c) => c.notNull())
      .addColumn('signed_at', 'timestamptz', (c) => c.notNull())
      .execute();
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the ledger migration is not reversible'));
  },
};
