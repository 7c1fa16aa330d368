import type { Transaction } from 'kysely';
import type { EventInput } from '../pki/records.types.ts';
import type { Database } from './schema.types.ts';

/**
 * Appends events with gap-free sequence numbers. The counter row is updated last in the
 * transaction, so its row lock is held only until commit: concurrent writers (several servers
 * on one PostgreSQL) serialise here and commit in sequence order.
 */
export async function appendEvents(tx: Transaction<Database>, events: EventInput[], at: Date): Promise<number[]> {
  const n = events.length;
  const { next_seq } = await tx
    .updateTable('event_sequence')
    .set((eb) => ({ next_seq: eb('next_seq', '+', n) }))
    .where('id', '=', 1)
    .returning('next_seq')
    .executeTakeFirstOrThrow();
  const first = Number(next_seq) - n;
  const seqs = events.map((_, i) => first + i);
  await tx
    .insertInto('events')
    .values(
      events.map((e, i) => ({
        seq: seqs[i]!,
        at,
        actor: e.actor,
        action: e.action,
        subject_type: e.subjectType,
        subject_id: e.subjectId,
        details: JSON.stringify(e.details),
      })),
    )
    .execute();
  return seqs;
}
