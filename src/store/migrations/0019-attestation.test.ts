// Migration 0019's constraints do the work the attestation repository will rely on: an AK name
// belongs to one device, a device has one current AK, a nonce is bounded and expires after it
// was made, a refused result names its reason. Foreign keys are switched off (replica role) so
// the rows need no product, CA or device behind them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type OpenDatabase } from '../database.ts';

describe('migration 0019: attestation', () => {
  let store: OpenDatabase;
  const t0 = new Date('2026-12-06T12:00:00Z');
  const t1 = new Date('2026-12-06T12:01:00Z');

  before(async () => {
    store = await openDatabase({ kind: 'pglite', dataDir: undefined });
    await sql`set session_replication_role = replica`.execute(store.db);
  });
  after(async () => store.close());

  const key = (id: string, device: string, name: number, activated: Date | null = t0, retired: Date | null = null) =>
    store.db
      .insertInto('attestation_keys')
      .values({
        id,
        device_id: device,
        ak_name: Uint8Array.of(0, 11, name),
        ak_public: Uint8Array.of(1),
        ek_public: Uint8Array.of(2),
        credential_digest: new Uint8Array(32),
        challenge_expires_at: t1,
        activated_at: activated,
        registered_at: t0,
        retired_at: retired,
      })
      .execute();

  it('an activated AK name is bound to one device, and a device has one current AK', async () => {
    await key('ak1', 'dev-a', 1);
    await assert.rejects(key('ak2', 'dev-b', 1), /unique|duplicate/i);
    await assert.rejects(key('ak3', 'dev-a', 3), /unique|duplicate/i);
    await store.db.updateTable('attestation_keys').set({ retired_at: t1 }).where('id', '=', 'ak1').execute();
    await key('ak4', 'dev-a', 4);
  });

  it('a pending registration binds nothing: another device may hold the same AK name pending, and a pending AK is never retired', async () => {
    await key('ak5', 'dev-c', 4, null);
    await key('ak6', 'dev-c', 6, null);
    await assert.rejects(key('ak7', 'dev-c', 7, null, t1), /check/i);
    await assert.rejects(
      store.db.updateTable('attestation_keys').set({ activated_at: t1 }).where('id', '=', 'ak5').execute(),
      /unique|duplicate/i,
    );
  });

  it('a nonce is 16–64 bytes, unique, and expires after it is made; single use is one conditional update', async () => {
    const nonce = new Uint8Array(32).fill(9);
    await store.db
      .insertInto('attestation_nonces')
      .values({ nonce, device_id: 'dev-a', created_at: t0, expires_at: t1 })
      .execute();
    await assert.rejects(
      store.db
        .insertInto('attestation_nonces')
        .values({ nonce, device_id: 'dev-b', created_at: t0, expires_at: t1 })
        .execute(),
    );
    await assert.rejects(
      store.db
        .insertInto('attestation_nonces')
        .values({ nonce: new Uint8Array(8), device_id: 'dev-a', created_at: t0, expires_at: t1 })
        .execute(),
    );
    await assert.rejects(
      store.db
        .insertInto('attestation_nonces')
        .values({ nonce: new Uint8Array(32), device_id: 'dev-a', created_at: t1, expires_at: t0 })
        .execute(),
    );
    const consume = () =>
      store.db
        .updateTable('attestation_nonces')
        .set({ used_at: t0 })
        .where('nonce', '=', nonce)
        .where('device_id', '=', 'dev-a')
        .where('used_at', 'is', null)
        .where('expires_at', '>', t0)
        .returning('nonce')
        .execute();
    assert.equal((await consume()).length, 1);
    assert.equal((await consume()).length, 0, 'a nonce is consumed once');
  });

  it('a contraindicated result names its reason, an affirming one none; the status is EAR’s', async () => {
    const result = (id: string, status: string, reason: string | null) =>
      store.db
        .insertInto('attestation_results')
        .values({
          id,
          device_id: 'dev-a',
          evidence_kind: 'tpm2-quote',
          status: status as 'affirming',
          reason_code: reason,
          trustworthiness: '{}',
          release_id: null,
          attestation_key_id: 'ak4',
          appraised_at: t0,
          expires_at: t1,
          signed_result: null,
        })
        .execute();
    await result('r1', 'affirming', null);
    await result('r2', 'contraindicated', 'QUOTE_PCR_DIGEST_MISMATCH');
    await assert.rejects(result('r3', 'contraindicated', null));
    await assert.rejects(result('r4', 'affirming', 'QUOTE_MAGIC_INVALID'));
    await assert.rejects(result('r5', 'trusted', null));
  });
});
