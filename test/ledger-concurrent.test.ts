// Issue 3, item 4: two servers on one PostgreSQL database, appending events and integrating at the
// same time, build ONE tree — no gap, no index twice, one root — under one log key.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../src/core/clock.ts';
import { verifyCheckpoint } from '../src/ledger/checkpoint.ts';
import { entryLeafHash } from '../src/ledger/leaf.ts';
import { rootFromLeafHashes } from '../src/ledger/merkle.ts';
import { verifyConsistency } from '../src/ledger/merkle-verify.ts';
import { Trustplane } from '../src/server/trustplane.ts';
import { freshPostgresDatabase } from './support/databases.ts';
import { startPostgresCluster, type PostgresCluster } from './support/postgres-cluster.ts';

const kek = new Uint8Array(32).fill(5);
const origin = 'concurrent.test.example/log';

async function postgresUrl(): Promise<{ url: string; cluster?: PostgresCluster } | undefined> {
  const url = process.env.TRUSTPLANE_TEST_DATABASE_URL;
  if (url) return { url };
  try {
    const cluster = await startPostgresCluster();
    return { url: cluster.url, cluster };
  } catch {
    return undefined; // no PostgreSQL on this machine: the test is skipped, not passed
  }
}

describe('two servers on one PostgreSQL database integrate one tree', () => {
  let server: Awaited<ReturnType<typeof postgresUrl>>;
  const servers: Trustplane[] = [];
  before(async () => {
    server = await postgresUrl();
  });
  after(async () => {
    for (const tp of servers) await tp.close();
    await server?.cluster?.stop();
  });

  it('concurrent appends and integrations: every index once, one root, consistent checkpoints', async (t) => {
    if (!server) return t.skip('no PostgreSQL server available');
    const location = await freshPostgresDatabase(server.url);
    const clock = new FakeClock();
    for (let i = 0; i < 2; i++)
      servers.push(
        await Trustplane.open({ database: location, kek, clock, csrWorkers: 0, ledger: { origin, batchSize: 7 } }),
      );
    const [a, b] = servers as [Trustplane, Trustplane];
    // b also runs the server's timer loop, racing a's explicit integrations.
    const loopErrors: unknown[] = [];
    const stopLoop = b.ledger.startIntegrationLoop(3, (e) => loopErrors.push(e));

    const integratedBy = new Map<Trustplane, number>();
    const worker = async (tp: Trustplane, name: string): Promise<void> => {
      for (let unit = 0; unit < 25; unit++) {
        const events = Array.from({ length: 1 + (unit % 4) }, (_, k) => ({
          actor: `system:${name}`,
          action: 'device.registered',
          subjectType: 'device',
          subjectId: `${name}-${unit}-${k}`,
          details: { unit, k },
        }));
        await tp.identity.store.unitOfWork((uow) => Promise.resolve(uow.recordEvents(events)));
        if (unit % 3 === 0)
          integratedBy.set(tp, (integratedBy.get(tp) ?? 0) + (await tp.ledger.integrate()).integrated);
      }
    };
    await Promise.all([worker(a, 'a'), worker(b, 'b'), worker(a, 'a2'), worker(b, 'b2')]);
    await stopLoop();
    await a.ledger.integrate();
    assert.deepEqual(loopErrors, []);
    assert.ok(
      (integratedBy.get(a) ?? 0) > 0 && (integratedBy.get(b) ?? 0) > 0,
      'both servers integrated parts of the tree',
    );

    const expected = 4 * Array.from({ length: 25 }, (_, unit) => 1 + (unit % 4)).reduce((x, y) => x + y);
    const state = await b.ledger.state();
    assert.equal(state.treeSize, expected, 'every event integrated');

    const db = a.database.db;
    const events = await db.selectFrom('events').select('seq').orderBy('seq').execute();
    assert.deepEqual(
      events.map((e) => Number(e.seq)),
      Array.from({ length: expected }, (_, i) => i),
      'seq gap-free from 0',
    );
    const rows = await db.selectFrom('ledger_nodes').select(['level', 'idx']).orderBy('level').orderBy('idx').execute();
    for (let level = 0; 2 ** level <= expected; level++) {
      const idx = rows.filter((r) => r.level === level).map((r) => Number(r.idx));
      assert.deepEqual(
        idx,
        Array.from({ length: Math.floor(expected / 2 ** level) }, (_, i) => i),
        `level ${level}: each node once, none missing`,
      );
    }

    const entries = [];
    for (let start = 0; start < expected; start += 1000)
      entries.push(...(await a.ledger.entries(start, Math.min(start + 1000, expected))));
    assert.deepEqual(state.rootHash, rootFromLeafHashes(entries.map(entryLeafHash)));

    // One key for both servers; every checkpoint verifies and each is consistent with the next.
    const vkey = await a.ledger.verifierKey();
    assert.equal(await b.ledger.verifierKey(), vkey);
    const checkpoints = await db
      .selectFrom('ledger_checkpoints')
      .select(['tree_size', 'note'])
      .orderBy('tree_size')
      .execute();
    const opened = checkpoints.map((c) => verifyCheckpoint(c.note, vkey, origin));
    assert.equal(opened.at(-1)?.size, expected);
    for (let i = 1; i < opened.length; i++) {
      const [older, newer] = [opened[i - 1]!, opened[i]!];
      verifyConsistency(
        older.size,
        newer.size,
        await b.ledger.consistencyProof(older.size, newer.size),
        older.rootHash,
        newer.rootHash,
      );
    }
    const verification = await b.ledger.verify();
    assert.equal(verification.ok, true, JSON.stringify(verification));
    assert.equal(verification.checkpointsChecked, checkpoints.length);
  });
});
