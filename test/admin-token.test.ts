// Issue 10 §4, no standing access: the bootstrap admin token is made once, with the root of trust,
// so revoking it sticks across restarts; a lost admin is recovered on the host with
// `trustplane admin recover`, which the ledger records. With the real binary, on both stores.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freshPostgresDatabase } from './support/databases.ts';
import { runCli, ServeProcess } from './support/serve-process.ts';

const tokenFile = async (home: string): Promise<string> => (await readFile(join(home, 'admin-token'), 'utf8')).trim();

/** The ledger's leaves once a checkpoint covers at least `atLeast` events (the server integrates every second). */
async function ledgerLeaves(s: ServeProcess, token: string, atLeast: number): Promise<any[]> {
  for (let i = 0; i < 300; i++) {
    const checkpoint = await s.api('GET', '/v1/ledger/checkpoint', undefined, token);
    if (checkpoint.status === 200 && checkpoint.body.treeSize >= atLeast) {
      const entries = await s.api('GET', `/v1/ledger/entries?start=0&end=${checkpoint.body.treeSize}`, undefined, token);
      return entries.body.items.map((e: { leaf: string }) => JSON.parse(e.leaf));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no checkpoint covers ${atLeast} events`);
}

/** The admin token `admin recover` wrote, checked against the token list: owner and creator name the host's operator. */
async function assertRecoveredToken(s: ServeProcess, token: string): Promise<any> {
  const tokens = await s.api('GET', '/v1/tokens', undefined, token);
  assert.equal(tokens.status, 200, 'the recovered token is an admin token that works');
  const recovered = tokens.body.items.find((t: { owner: string }) => t.owner.startsWith('recovered by '));
  assert.ok(recovered, 'the recovered token is listed');
  assert.equal(recovered.role, 'admin');
  assert.match(recovered.createdBy, /^system:admin-recover \(.+@.+\)$/);
  return recovered;
}

describe('the bootstrap admin token and admin recover (embedded store, real binary)', { timeout: 300_000 }, () => {
  let home: string;
  let server: ServeProcess | undefined;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'tp-admin-'));
    await rm(home, { recursive: true }); // serve makes it
  });
  after(async () => {
    await server?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('a revoked bootstrap token stays revoked across a restart, and no other is made', async () => {
    server = await ServeProcess.start({ home });
    const bootstrap = server.token;
    const other = await server.api('POST', '/v1/tokens', { role: 'admin', owner: 'ops', ttlSeconds: 3600 }, bootstrap);
    assert.equal(other.status, 201);
    const listed = await server.api('GET', '/v1/tokens', undefined, other.body.token);
    const bootstrapRecord = listed.body.items.find((t: { owner: string }) => t.owner === 'bootstrap');
    assert.equal(bootstrapRecord.createdBy, 'system:serve');
    assert.equal((await server.api('DELETE', `/v1/tokens/${bootstrapRecord.id}`, undefined, other.body.token)).status, 204);
    await server.stop();

    server = await ServeProcess.start({ home });
    assert.doesNotMatch(server.stderr, /bootstrap admin token/);
    assert.equal(await tokenFile(home), bootstrap, 'the token file still holds the revoked token');
    const refused = await server.api('GET', '/v1/tokens', undefined, bootstrap);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.code, 'TOKEN_REVOKED');
    const afterRestart = await server.api('GET', '/v1/tokens', undefined, other.body.token);
    assert.deepEqual(
      afterRestart.body.items.map((t: { owner: string }) => t.owner).sort(),
      ['bootstrap', 'ops'],
      'the restart made no token',
    );
  });

  it('admin recover refuses while the server holds the home, naming its PID, and changes nothing', async () => {
    const unchanged = await tokenFile(home);
    const run = await runCli(['admin', 'recover', '--home', home]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`^error: the data home .* is in use by the trustplane server with PID ${server!.pid}: stop it`));
    assert.equal(await tokenFile(home), unchanged);
  });

  it('admin recover on the stopped home writes a working admin token, and the ledger records who made it', async () => {
    await server!.stop();
    const run = await runCli(['admin', 'recover', '--home', home]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '', 'the secret is not printed');
    assert.match(run.stderr, /^admin token tok_\w+ \(expires .*\) written to .*admin-token; the ledger records it as token\.created by system:admin-recover/);
    const recoveredSecret = await tokenFile(home);

    server = await ServeProcess.start({ home });
    assert.equal(server.token, recoveredSecret);
    const recovered = await assertRecoveredToken(server, recoveredSecret);
    // root, bootstrap, ops, the revocation, the recovered token
    const leaves = await ledgerLeaves(server, recoveredSecret, 5);
    const event = leaves.find((l) => l.action === 'token.created' && l.subjectId === recovered.id);
    assert.ok(event, 'the ledger holds the recovery');
    assert.equal(event.actor, recovered.createdBy);
  });

  it('admin recover names a missing home instead of making one', async () => {
    const missing = join(home, 'no-such-home');
    const run = await runCli(['admin', 'recover', '--home', missing]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: no data home at /);
  });
});

describe('admin recover and the home with DATABASE_URL (real binary)', { timeout: 300_000 }, () => {
  const servers: ServeProcess[] = [];
  let home: string;
  let databaseUrl: string | undefined;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'tp-admin-pg-'));
    const serverUrl = process.env.TRUSTPLANE_TEST_DATABASE_URL;
    if (!serverUrl) return;
    const location = await freshPostgresDatabase(serverUrl);
    if (location.kind === 'postgres') databaseUrl = location.url;
  });
  after(async () => {
    for (const s of servers) await s.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('two servers may share one home and database; recover works through the database while they run', async (t) => {
    if (!databaseUrl) return t.skip('TRUSTPLANE_TEST_DATABASE_URL is not set');
    const env = { DATABASE_URL: databaseUrl, TRUSTPLANE_LOG_LEVEL: 'warn' };
    servers.push(await ServeProcess.start({ home, env }));
    // No lock with DATABASE_URL: the home holds only the KEK and the token file.
    servers.push(await ServeProcess.start({ home, env }));
    const [a, b] = servers as [ServeProcess, ServeProcess];
    assert.equal(b.token, a.token, 'one bootstrap token, made with the root of trust');

    const run = await runCli(['admin', 'recover', '--home', home], { env });
    assert.equal(run.code, 0, run.stderr);
    const recoveredSecret = await tokenFile(home);
    assert.notEqual(recoveredSecret, a.token);
    await assertRecoveredToken(a, recoveredSecret);
    await assertRecoveredToken(b, recoveredSecret);
  });
});
