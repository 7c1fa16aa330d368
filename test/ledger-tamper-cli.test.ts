// Issue 3, item 2, through the auditor's own tool: rows of the events table deleted, swapped, or
// truncated and re-grown differently, directly in the database of a running server —
// `trustplane ledger verify` (a separate process, over HTTP) exits 2 and names the first entry.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { databaseTargets } from './support/databases.ts';
import { runCli, type CliRun } from './support/serve-process.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const verify = (server: TestServer): Promise<CliRun> => runCli(['ledger', 'verify', '--url', server.url, '--token', server.adminToken]);

/** A server with a product, 12 registered devices, all integrated and signed. */
async function logWithEvents(target: ReturnType<typeof databaseTargets>[number]): Promise<TestServer> {
  const server = await startTestServer({ target });
  await server.createProduct({ sku: 'tam-1', name: 'Tamper', craClass: 'default', supportUntil: '2036-01-01' });
  const devices = Array.from({ length: 12 }, (_, i) => ({ serial: `T${i}` }));
  assert.equal((await server.api('POST', '/v1/products/tam-1/devices/import', { devices })).status, 201);
  await server.tp.ledger.integrate();
  const ok = await verify(server);
  assert.equal(ok.code, 0, ok.stderr);
  return server;
}

for (const target of databaseTargets()) {
  describe(`ledger verify names the tampered entry (${target.name})`, () => {
    const servers: TestServer[] = [];
    after(async () => {
      for (const s of servers) await s.destroy();
    });

    it('a deleted event row', async () => {
      const server = await logWithEvents(target);
      servers.push(server);
      await server.tp.database.db.deleteFrom('events').where('seq', '=', 7).execute();
      const r = await verify(server);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /entry 7 is missing/);
    });

    it('two rows swapped', async () => {
      const server = await logWithEvents(target);
      servers.push(server);
      const db = server.tp.database.db;
      // Swap the contents of events 5 and 9 (their seq stay): two leaves change places.
      await sql`update events set subject_id = case seq when 5 then (select subject_id from events where seq = 9) else (select subject_id from events where seq = 5) end,
        details = case seq when 5 then (select details from events where seq = 9) else (select details from events where seq = 5) end
        where seq in (5, 9)`.execute(db);
      const r = await verify(server);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /entry 5 does not match/);
    });

    it('the log truncated and re-grown differently', async () => {
      const server = await logWithEvents(target);
      servers.push(server);
      const db = server.tp.database.db;
      const size = (await server.tp.ledger.state()).treeSize;
      await db.deleteFrom('events').where('seq', '>=', 6).execute();
      await db.updateTable('event_sequence').set({ next_seq: 6 }).where('id', '=', 1).execute();
      // New history from 6 on, through the API: other devices, as many events as were removed.
      const devices = Array.from({ length: size - 6 }, (_, i) => ({ serial: `X${i}` }));
      assert.equal((await server.api('POST', '/v1/products/tam-1/devices/import', { devices })).status, 201);
      const r = await verify(server);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /entry 6 does not match/);
    });
  });
}
