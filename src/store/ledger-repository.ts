import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { TreeNode } from '../ledger/compact-range.ts';
import type { LedgerEntry } from '../ledger/leaf.ts';
import type {
  LedgerIntegrationUnit,
  LedgerState,
  LedgerStore,
  NodeAddress,
  StoredCheckpoint,
} from '../ledger/ledger-store.types.ts';
import { toEvent } from './identity-rows.ts';
import type { Database, LedgerCheckpointsTable, LedgerStateTable } from './schema.types.ts';

type Executor = Kysely<Database> | Transaction<Database>;

/** bytea is a Buffer from `pg` and a Uint8Array from PGlite; hand out plain copies. */
const bytes = (b: Uint8Array): Uint8Array => Uint8Array.from(b);
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

const toState = (r: Selectable<LedgerStateTable>): LedgerState => ({
  treeSize: Number(r.tree_size),
  rootHash: bytes(r.root),
  origin: r.origin,
  keyId: r.key_id,
});

const toCheckpoint = (r: Selectable<LedgerCheckpointsTable>): StoredCheckpoint => ({
  treeSize: Number(r.tree_size),
  rootHash: bytes(r.root),
  note: r.note,
  signedAt: r.signed_at,
});

/** The reads, over the database or inside an integration transaction. */
class LedgerQueries {
  protected readonly db: Executor;
  constructor(db: Executor) {
    this.db = db;
  }

  async state(): Promise<LedgerState> {
    return toState(await this.db.selectFrom('ledger_state').selectAll().where('id', '=', 1).executeTakeFirstOrThrow());
  }

  async nodes(addresses: readonly NodeAddress[]): Promise<TreeNode[]> {
    if (addresses.length === 0) return [];
    const rows = await this.db
      .selectFrom('ledger_nodes')
      .selectAll()
      .where((eb) =>
        eb(
          eb.refTuple('level', 'idx'),
          'in',
          addresses.map((a) => eb.tuple(a.level, a.index)),
        ),
      )
      .execute();
    return rows.map((r) => ({ level: r.level, index: Number(r.idx), hash: bytes(r.hash) }));
  }

  async nodeRange(level: number, start: number, end: number): Promise<TreeNode[]> {
    const rows = await this.db
      .selectFrom('ledger_nodes')
      .selectAll()
      .where('level', '=', level)
      .where('idx', '>=', start)
      .where('idx', '<', end)
      .orderBy('idx')
      .execute();
    return rows.map((r) => ({ level: r.level, index: Number(r.idx), hash: bytes(r.hash) }));
  }

  async entries(start: number, end: number): Promise<LedgerEntry[]> {
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('seq', '>=', start)
      .where('seq', '<', end)
      .orderBy('seq')
      .execute();
    return rows.map(toEvent);
  }

  async checkpoint(size: number | 'latest'): Promise<StoredCheckpoint | undefined> {
    let q = this.db.selectFrom('ledger_checkpoints').selectAll();
    q = size === 'latest' ? q.orderBy('tree_size', 'desc').limit(1) : q.where('tree_size', '=', size);
    const r = await q.executeTakeFirst();
    return r && toCheckpoint(r);
  }

  async checkpoints(afterSize: number, limit: number): Promise<StoredCheckpoint[]> {
    const rows = await this.db
      .selectFrom('ledger_checkpoints')
      .selectAll()
      .where('tree_size', '>', afterSize)
      .orderBy('tree_size')
      .limit(limit)
      .execute();
    return rows.map(toCheckpoint);
  }
}

class LedgerIntegrationUnitImpl extends LedgerQueries implements LedgerIntegrationUnit {
  async lockState(): Promise<LedgerState> {
    return toState(
      await this.db.selectFrom('ledger_state').selectAll().where('id', '=', 1).forUpdate().executeTakeFirstOrThrow(),
    );
  }

  async insertNodes(nodes: readonly TreeNode[]): Promise<void> {
    if (nodes.length === 0) return;
    // One statement per batch, each column one array parameter (bytea as hex): see identity-repository.ts.
    await sql`insert into ledger_nodes (level, idx, hash)
      select n.level, n.idx, decode(n.hash, 'hex')
      from unnest(${nodes.map((n) => n.level)}::integer[], ${nodes.map((n) => n.index)}::bigint[], ${nodes.map((n) => hex(n.hash))}::text[])
        as n(level, idx, hash)`.execute(this.db);
  }

  async setTree(treeSize: number, rootHash: Uint8Array): Promise<void> {
    await this.db
      .updateTable('ledger_state')
      .set({ tree_size: treeSize, root: rootHash })
      .where('id', '=', 1)
      .execute();
  }

  async insertCheckpoint(cp: StoredCheckpoint): Promise<void> {
    await this.db
      .insertInto('ledger_checkpoints')
      .values({ tree_size: cp.treeSize, root: cp.rootHash, note: cp.note, signed_at: cp.signedAt })
      .execute();
  }
}

/** The ledger's storage port, one implementation for PGlite and PostgreSQL. */
export class LedgerRepository extends LedgerQueries implements LedgerStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    super(db);
    this.#db = db;
  }

  integrationUnit<T>(fn: (unit: LedgerIntegrationUnit) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute((tx) => fn(new LedgerIntegrationUnitImpl(tx)));
  }

  async claimIdentity(origin: string, keyId: string): Promise<LedgerState> {
    await this.#db
      .updateTable('ledger_state')
      .set({ origin, key_id: keyId })
      .where('id', '=', 1)
      .where('key_id', 'is', null)
      .execute();
    return this.state();
  }
}
