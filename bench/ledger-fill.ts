// Fills a fresh ledger store to `size` leaves directly, without the integrator: set-based SQL
// computes the leaf hashes and then every complete subtree, level by level, inside the database
// (PostgreSQL's sha256(), also in PGlite), in chunks of `chunk` rows per statement. The leaves are
// synthetic — SHA-256(0x00 || "bench-entry-<i>") — with no events rows behind them: the proofs read
// only ledger_state and ledger_nodes. The stored root is recomputed from the stored frontier.
import { sql, type Kysely } from 'kysely';
import { rootAt } from '../src/ledger/merkle.ts';
import { withStoredNodes } from '../src/ledger/stored-tree.ts';
import { LedgerRepository } from '../src/store/ledger-repository.ts';
import type { Database } from '../src/store/schema.types.ts';

/** The synthetic leaf i, as the fill hashes it (for checking proofs). */
export const benchLeaf = (i: number): Uint8Array => new TextEncoder().encode(`bench-entry-${i}`);

export async function fillLedger(db: Kysely<Database>, size: number, chunk = 500_000): Promise<Uint8Array> {
  const state = await db.selectFrom('ledger_state').select('tree_size').where('id', '=', 1).executeTakeFirstOrThrow();
  if (Number(state.tree_size) !== 0) throw new Error('fillLedger needs an empty ledger');
  // Level 0: the leaf hashes.
  for (let start = 0; start < size; start += chunk) {
    const end = Math.min(size, start + chunk);
    await sql`insert into ledger_nodes (level, idx, hash)
      select 0, i, sha256('\\x00'::bytea || convert_to('bench-entry-' || i::text, 'UTF8'))
      from generate_series(${start}::bigint, ${end - 1}::bigint) as i`.execute(db);
  }
  // Level L: node i = SHA-256(0x01 || node 2i || node 2i+1) of level L-1, for every complete pair.
  // Chunks start at even indexes, so a pair never straddles two statements.
  for (let level = 1, below = size; below >= 2; level++, below = Math.floor(below / 2)) {
    const pairs = Math.floor(below / 2);
    const step = chunk - (chunk % 2);
    for (let start = 0; start < 2 * pairs; start += step) {
      const end = Math.min(2 * pairs, start + step);
      await sql`insert into ledger_nodes (level, idx, hash)
        select ${level}::integer, p.idx / 2, sha256('\\x01'::bytea || p.hash || p.next)
        from (select idx, hash, lead(hash) over (order by idx) as next
              from ledger_nodes where level = ${level - 1}::integer and idx >= ${start}::bigint and idx < ${end}::bigint) as p
        where p.idx % 2 = 0`.execute(db);
    }
  }
  const repository = new LedgerRepository(db);
  const root = await withStoredNodes(
    (a) => repository.nodes(a),
    (getNode) => rootAt(size, getNode),
  );
  await db.updateTable('ledger_state').set({ tree_size: size, root }).where('id', '=', 1).execute();
  return root;
}
