// Migration 0022 on an installation that has signed results: the schema is put back as 0019–0021
// left it (one-row attestation_verifier, results without signed_by) with rows in it, 0022 is run
// again, and the old key is the current one and the signer of the signed results. Then its
// constraints: one current key, a retired key names its successor. Foreign keys are switched off
// (replica role) so the rows need no key store, product or device behind them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type OpenDatabase } from '../database.ts';
import { verifierKeyRotation } from './0022-verifier-key-rotation.ts';

describe('migration 0022: verifier key rotation', () => {
  let store: OpenDatabase;
  const t0 = new Date('2026-12-01T12:00:00Z');

  before(async () => {
    store = await openDatabase({ kind: 'pglite', dataDir: undefined });
    const db = store.db;
    await sql`set session_replication_role = replica`.execute(db);
    // the schema before 0022, with a verifier key and two results, one signed
    await sql`drop table attestation_verifier_keys`.execute(db);
    await sql`alter table attestation_results drop column signed_by`.execute(db);
    await sql`create table attestation_verifier (id integer primary key check (id = 1), key_id text not null references keys(id), created_at timestamptz not null)`.execute(db);
    await sql`insert into attestation_verifier values (1, 'key_old', ${t0})`.execute(db);
    const result = (id: string, signed: string | null) =>
      sql`insert into attestation_results (id, device_id, evidence_kind, status, trustworthiness, appraised_at, expires_at, signed_result)
          values (${id}, 'dev', 'eat-claims', 'warning', '{}', ${t0}, ${new Date(t0.getTime() + 86_400_000)}, ${signed})`.execute(db);
    await result('ar_signed', 'header.payload.signature');
    await result('ar_unsigned', null);
    // 0022's own step, run again (the migrator would refuse it once later migrations have run)
    await verifierKeyRotation.up(db);
  });
  after(async () => store.close());

  it('the old key becomes the current one and the signer of the results it signed', async () => {
    const keys = await store.db.selectFrom('attestation_verifier_keys').selectAll().execute();
    assert.deepEqual(keys, [{ key_id: 'key_old', created_at: t0, retired_at: null, successor_key_id: null }]);
    const results = await store.db.selectFrom('attestation_results').select(['id', 'signed_by']).orderBy('id').execute();
    assert.deepEqual(results, [
      { id: 'ar_signed', signed_by: 'key_old' },
      { id: 'ar_unsigned', signed_by: null },
    ]);
    const { rows } = await sql<{ t: string | null }>`select to_regclass('attestation_verifier')::text as t`.execute(store.db);
    assert.equal(rows[0]!.t, null, 'the one-row table is gone');
  });

  it('one current key at most; a retired key names its successor', async () => {
    await assert.rejects(store.db.insertInto('attestation_verifier_keys').values({ key_id: 'key_two', created_at: t0 }).execute(), /unique|duplicate/i);
    await assert.rejects(store.db.updateTable('attestation_verifier_keys').set({ retired_at: t0 }).where('key_id', '=', 'key_old').execute(), /check|violat/i);
    await store.db.updateTable('attestation_verifier_keys').set({ retired_at: t0, successor_key_id: 'key_two' }).where('key_id', '=', 'key_old').execute();
    await store.db.insertInto('attestation_verifier_keys').values({ key_id: 'key_two', created_at: t0 }).execute();
    const current = await store.db.selectFrom('attestation_verifier_keys').select('key_id').where('retired_at', 'is', null).execute();
    assert.deepEqual(current, [{ key_id: 'key_two' }]);
  });
});
