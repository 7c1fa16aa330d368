import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { EventInput } from '../pki/records.types.ts';
import type { Database } from './schema.types.ts';

/**
 * Appends events with gap-free sequence numbers. The counter row is updated last in the
 * transaction, so its row lock is held only until commit: concurrent writers (several servers
 * on one PostgreSQL) serialise here and commit in sequence order.
 */
export async function appendEvents(tx: Transaction<Database>, events: EventInput[], at: Date): Promise<number[]> {
  const { rows } = await sql<{ seq: string | number | bigint }>`with ${appendEventsParts(events, at)} select seq from appended`.execute(tx);
  if (rows.length !== events.length) throw new Error('the event sequence row is missing');
  return rows.map((r) => Number(r.seq)).sort((a, b) => a - b);
}

/**
 * The append as two WITH parts (`taken`, `appended` returning seq), for a statement of the
 * caller's: take n numbers from the counter (its row lock is held until commit) and insert.
 */
export function appendEventsParts(events: EventInput[], at: Date): RawBuilder<unknown> {
  const n = events.length;
  const column = <T>(f: (e: EventInput) => T): T[] => events.map(f);
  return sql`taken as (update event_sequence set next_seq = next_seq + ${n}::bigint where id = 1 returning next_seq - ${n}::bigint as first),
    appended as (insert into events (seq, at, actor, action, subject_type, subject_id, details)
      select taken.first + e.ord - 1, ${at.toISOString()}::timestamptz, e.actor, e.action, e.subject_type, e.subject_id, e.details
      from taken, unnest(${column((e) => e.actor)}::text[], ${column((e) => e.action)}::text[], ${column((e) => e.subjectType)}::text[],
        ${column((e) => e.subjectId)}::text[], ${column((e) => JSON.stringify(e.details))}::jsonb[]) with ordinality as e(actor, action, subject_type, subject_id, details, ord)
      order by e.ord
      returning seq)`;
}
