/**
 * Issue 14, the register of privileged access paths (docs/design/access-paths.md), against a real
 * server on each store: trustplane registers its admin and operator tokens itself, in the token's
 * transaction, and retires them with the token; tokens made before the register are registered at
 * the next start, once; a review records who, when, the outcome and moves the due date; bad input
 * is refused with problem+json and nothing written; the report names exactly the planted paths
 * without owner, without expiry or with an overdue review (test item 5), at the server's clock;
 * `access-path report --fail-on-findings` exits 4.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { DAY_MS, FakeClock, HOUR_MS } from '../src/core/clock.ts';
import { registerAccessPath, retireAccessPath } from '../src/store/access-path-writer.ts';
import { databaseTargets } from './support/databases.ts';
import { runCli } from './support/serve-process.ts';
import { assertNothingWritten } from './support/state-snapshot.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const iso = (ms: number) => new Date(ms).toISOString();

for (const target of databaseTargets()) {
  describe(`the register of privileged access paths (${target.name})`, () => {
    let server: TestServer;
    const events = async (subjectId: string) =>
      (await sql<{ seq: string; action: string; actor: string; details: any }>`select seq::text, action, actor, details from events where subject_id = ${subjectId} order by seq`.execute(server.tp.database.db)).rows;
    const pathOf = async (systemRef: string, token = server.adminToken) => {
      const list = await server.api('GET', '/v1/access-paths?all=true', undefined, token);
      assert.equal(list.status, 200, JSON.stringify(list.body));
      return list.body.items.find((p: any) => p.systemRef === systemRef);
    };
    const admin = async (owner: string, ttlSeconds = 3600) => (await server.tp.tokens.create({ role: 'admin', owner, ttlSeconds }, 'test')).secret;

    before(async () => {
      server = await startTestServer({ target, clock: new FakeClock('2027-03-01T09:00:00Z') });
      await server.createProduct({ sku: 'GW-1', name: 'Gateway', craClass: 'default', supportUntil: '2032-01-01' });
    });
    after(() => server?.destroy());

    it('every admin and operator token is registered on creation, in its own transaction, and retired when revoked; factory and auditor tokens are not', async () => {
      const made = new Map<string, any>();
      for (const [role, products] of [['admin', undefined], ['operator', ['GW-1']], ['factory', ['GW-1']], ['auditor', undefined]] as const) {
        const answer = await server.api('POST', '/v1/tokens', { role, owner: `${role}-owner`, ttlSeconds: 3 * 3600, ...(products ? { products } : {}) });
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
        made.set(role, answer.body);
      }
      for (const role of ['admin', 'operator']) {
        const token = made.get(role);
        const path = await pathOf(token.id);
        assert.ok(path, `the ${role} token is on the register`);
        assert.equal(path.kind, 'trustplane-token');
        assert.equal(path.source, 'system');
        assert.equal(path.owner, `${role}-owner`, "owner = the token's owner");
        assert.equal(path.expiresAt, token.expiresAt, "expiry = the token's expiry");
        assert.equal(path.reviewDue, token.expiresAt, 'review = the expiry, sooner than the 90-day interval');
        assert.equal(path.state, 'active');
        const [created] = await events(token.id);
        const [registered] = await events(path.id);
        assert.equal(created!.action, 'token.created');
        assert.equal(registered!.action, 'access_path.registered');
        assert.equal(Number(registered!.seq), Number(created!.seq) + 1, "the path's event follows the token's, in its transaction");
      }
      assert.equal(await pathOf(made.get('factory').id), undefined);
      assert.equal(await pathOf(made.get('auditor').id), undefined);
      const testAdmin = (await server.tp.tokens.list()).find((t) => t.owner === 'test-admin')!;
      assert.ok(await pathOf(testAdmin.id), "the test server's own admin token too");

      const operator = made.get('operator');
      assert.equal((await server.api('DELETE', `/v1/tokens/${operator.id}`)).status, 204);
      const retired = await pathOf(operator.id);
      assert.equal(retired.state, 'retired');
      assert.equal(retired.retired.reason, 'token revoked');
      assert.match(retired.retired.by, /^test-admin \(admin, tok_/);
      const [revoked] = await events(operator.id).then((e) => e.filter((x) => x.action === 'token.revoked'));
      const [retiredEvent] = await events(retired.id).then((e) => e.filter((x) => x.action === 'access_path.retired'));
      assert.equal(Number(retiredEvent!.seq), Number(revoked!.seq) + 1, 'retired in the revocation transaction');
      assert.equal((await server.api('GET', '/v1/access-paths')).body.items.some((p: any) => p.id === retired.id), false, 'list leaves retired paths out unless asked');
      // an expired token's path ended by itself: listed only with all=true
      server.clock.advance(3 * HOUR_MS);
      const expired = await pathOf(made.get('admin').id, await admin('list-admin'));
      assert.equal(expired.state, 'expired');
      assert.equal((await server.api('GET', '/v1/access-paths', undefined, await admin('list-admin'))).body.items.some((p: any) => p.id === expired.id), false, 'an ended token path is not live');
      server.clock.advance(-3 * HOUR_MS);
    });

    it('a token made before the register gets its path at the next start, once', async () => {
      const db = server.tp.database.db;
      const { record } = await server.tp.tokens.create({ role: 'operator', owner: 'legacy-pipeline', ttlSeconds: 6 * 3600 }, 'test');
      // as if made before migration 0018: no path, no event of one
      const path = await pathOf(record.id);
      await sql`delete from events where subject_id = ${path.id}`.execute(db);
      await sql`delete from access_paths where id = ${path.id}`.execute(db);
      assert.equal(await pathOf(record.id), undefined);
      await server.tp.initialise();
      const adopted = await pathOf(record.id);
      assert.equal(adopted.owner, 'legacy-pipeline');
      assert.equal(adopted.registeredBy, 'system:init');
      assert.deepEqual((await events(adopted.id)).map((e) => e.action), ['access_path.registered']);
      const before = (await server.api('GET', '/v1/access-paths')).body.items.length;
      await server.tp.initialise();
      assert.equal((await server.api('GET', '/v1/access-paths')).body.items.length, before, 'a second start registers nothing');
    });

    it("other code registers its paths in its own transaction (the SSH CAs): checked, idempotent per systemRef, rolled back with the caller's, retired by what it stands for", async () => {
      const db = server.tp.database.db;
      const product = (await server.tp.identity.store.findProductBySku('GW-1'))!;
      const at = server.clock.now();
      const registration = { kind: 'ssh-ca', name: 'user CA of GW-1', productId: product.id, owner: 'psirt', expiryCondition: 'until the CA is rotated out', source: 'system', systemRef: 'sshca_test_1', registeredBy: 'system:test', at } as const;
      const id = await db.transaction().execute((tx) => registerAccessPath(tx, registration));
      assert.match(id, /^acp_[0-9a-f]{20}$/);
      const again = await assertNothingWritten(server, () => db.transaction().execute((tx) => registerAccessPath(tx, registration)), 'a second registration');
      assert.equal(again, id, 'a live path for the same systemRef is returned, nothing written');
      const shown = (await server.api('GET', `/v1/access-paths/${id}`)).body;
      assert.deepEqual([shown.kind, shown.product, shown.owner, shown.reviewDue], ['ssh-ca', 'GW-1', 'psirt', iso(at.getTime() + 90 * DAY_MS)]);
      // the caller's transaction fails after registering: nothing of the path stays
      await assertNothingWritten(server, () =>
        assert.rejects(
          db.transaction().execute(async (tx) => {
            await registerAccessPath(tx, { ...registration, systemRef: 'sshca_test_2' });
            throw new Error('the CA could not be stored');
          }),
          /could not be stored/,
        ),
      );
      // a bad registration throws VALIDATION_FAILED, so the caller's transaction rolls back
      await assert.rejects(
        db.transaction().execute((tx) => registerAccessPath(tx, { ...registration, systemRef: 'sshca_test_3', expiryCondition: 'forever' })),
        (e: any) => e.code === 'VALIDATION_FAILED',
      );
      const retired = await db.transaction().execute((tx) => retireAccessPath(tx, { systemRef: 'sshca_test_1' }, { by: 'system:test', reason: 'CA rotated', at }));
      assert.equal(retired, id);
      assert.equal(await db.transaction().execute((tx) => retireAccessPath(tx, { systemRef: 'sshca_test_1' }, { by: 'system:test', reason: 'again', at })), undefined, 'nothing live: nothing written');
      assert.deepEqual((await events(id)).map((e) => e.action), ['access_path.registered', 'access_path.retired']);
    });

    it('bad input is refused with problem+json and a code, and nothing is written', async () => {
      const now = server.clock.now().getTime();
      const bad: [unknown, number, string][] = [
        [{ kind: 'backdoor', name: 'x' }, 400, 'VALIDATION_FAILED'],
        [{ kind: 'vendor-account' }, 400, 'VALIDATION_FAILED'],
        [{ kind: 'vendor-account', name: '  ' }, 400, 'VALIDATION_FAILED'],
        [{ kind: 'vendor-account', name: 'Acme', owner: 'a\u0007b' }, 400, 'VALIDATION_FAILED'],
        [{ kind: 'vendor-account', name: 'Acme', expiresAt: iso(now - 1000) }, 400, 'VALIDATION_FAILED'],
        [{ kind: 'vendor-account', name: 'Acme', expiresAt: '2027-02-30' }, 400, 'VALIDATION_FAILED'],
        [{ kind: 'vendor-account', name: 'Acme', expiryCondition: 'never' }, 400, 'VALIDATION_FAILED'],
        [{ kind: 'vendor-account', name: 'Acme', expiryCondition: 'until further notice' }, 400, 'VALIDATION_FAILED'],
        [{ kind: 'vendor-account', name: 'Acme', reviewDue: iso(now + 400 * DAY_MS) }, 400, 'VALIDATION_FAILED'],
        [{ kind: 'vendor-account', name: 'Acme', reviewDue: iso(now - DAY_MS) }, 400, 'VALIDATION_FAILED'],
        [{ kind: 'debug-port', name: 'JTAG', product: 'NO-SUCH' }, 404, 'PRODUCT_NOT_FOUND'],
        [{ kind: 'debug-port', name: 'JTAG', extra: 1 }, 400, 'VALIDATION_FAILED'],
      ];
      for (const [body, status, code] of bad) {
        const answer = await assertNothingWritten(server, () => server.api('POST', '/v1/access-paths', body), JSON.stringify(body));
        assert.equal(answer.status, status, `${JSON.stringify(body)} → ${answer.status} ${JSON.stringify(answer.body)}`);
        assert.match(answer.type, /^application\/problem\+json/);
        assert.equal(answer.body.code, code, JSON.stringify(body));
      }
      const ok = await server.api('POST', '/v1/access-paths', { kind: 'vendor-account', name: 'Acme field support', owner: 'carol', expiresAt: '2027-12-31' });
      assert.equal(ok.status, 201);
      const id = ok.body.id;
      const refusals: [string, string, unknown, number, string][] = [
        ['POST', `/v1/access-paths/${id}/reviews`, { outcome: 'maybe' }, 400, 'VALIDATION_FAILED'],
        ['POST', `/v1/access-paths/${id}/reviews`, { outcome: 'keep', nextReviewDue: iso(now - 1) }, 400, 'VALIDATION_FAILED'],
        ['POST', `/v1/access-paths/${id}/reviews`, { outcome: 'retire', owner: 'dave' }, 400, 'VALIDATION_FAILED'],
        ['POST', '/v1/access-paths/acp_00000000000000000000/reviews', { outcome: 'keep' }, 404, 'ACCESS_PATH_NOT_FOUND'],
        ['POST', `/v1/access-paths/${id}/retire`, {}, 400, 'VALIDATION_FAILED'],
        ['POST', '/v1/access-paths/acp_00000000000000000000/retire', { reason: 'gone' }, 404, 'ACCESS_PATH_NOT_FOUND'],
        ['GET', '/v1/access-paths/not-an-id', undefined, 400, 'VALIDATION_FAILED'],
      ];
      for (const [method, path, body, status, code] of refusals) {
        const answer = await assertNothingWritten(server, () => server.api(method, path, body), `${method} ${path}`);
        assert.equal(answer.status, status, `${method} ${path} ${JSON.stringify(body)} → ${answer.status} ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.code, code);
      }
      // a system path is retired with what it stands for, not on its own
      const system = (await server.api('GET', '/v1/access-paths?kind=trustplane-token')).body.items[0];
      const systemRetire = await assertNothingWritten(server, () => server.api('POST', `/v1/access-paths/${system.id}/retire`, { reason: 'tidy up' }));
      assert.equal(systemRetire.status, 400);
      const systemOwner = await assertNothingWritten(server, () => server.api('POST', `/v1/access-paths/${system.id}/reviews`, { outcome: 'keep', owner: 'someone else' }));
      assert.equal(systemOwner.status, 400);
      // retired: neither reviewed nor retired again
      assert.equal((await server.api('POST', `/v1/access-paths/${id}/retire`, { reason: 'contract ended' })).status, 200);
      for (const [path, body] of [[`/v1/access-paths/${id}/retire`, { reason: 'again' }], [`/v1/access-paths/${id}/reviews`, { outcome: 'keep' }]] as const) {
        const again = await assertNothingWritten(server, () => server.api('POST', path, body));
        assert.equal(again.status, 409);
        assert.equal(again.body.code, 'ACCESS_PATH_RETIRED');
      }
    });

    it('roles: admin writes, auditor reads only, operator neither', async () => {
      const auditor = (await server.tp.tokens.create({ role: 'auditor', owner: 'aud', ttlSeconds: 3600 }, 'test')).secret;
      const operator = (await server.tp.tokens.create({ role: 'operator', owner: 'op', ttlSeconds: 3600 }, 'test')).secret;
      assert.equal((await server.api('GET', '/v1/access-paths', undefined, auditor)).status, 200);
      assert.equal((await server.api('GET', '/v1/access-paths/report', undefined, auditor)).status, 200);
      const body = { kind: 'other', name: 'x', owner: 'y', expiresAt: '2027-12-31' };
      for (const token of [auditor, operator]) {
        const answer = await assertNothingWritten(server, () => server.api('POST', '/v1/access-paths', body, token));
        assert.equal(answer.status, 403);
        assert.equal(answer.body.code, 'FORBIDDEN');
      }
      assert.equal((await server.api('GET', '/v1/access-paths', undefined, operator)).status, 403);
    });

    it('a review records who, when and the outcome, moves the due date, and may record what was missing', async () => {
      const now = server.clock.now().getTime();
      const added = await server.api('POST', '/v1/access-paths', { kind: 'debug-port', name: 'UART console', product: 'GW-1', scope: 'hw:rev-b', reviewDue: iso(now + 10 * DAY_MS) });
      assert.equal(added.status, 201);
      assert.deepEqual(added.body.warnings.length, 2, 'no owner and no expiry: registered, with two warnings');
      assert.equal(added.body.product, 'GW-1');
      const id = added.body.id;
      server.clock.advance(HOUR_MS);
      const kept = await server.api('POST', `/v1/access-paths/${id}/reviews`, { outcome: 'keep', note: 'still needed for RMA', owner: 'hw-lead', expiryCondition: 'until rev B is out of RMA service' });
      assert.equal(kept.status, 200, JSON.stringify(kept.body));
      assert.equal(kept.body.reviewDue, iso(now + HOUR_MS + 90 * DAY_MS), 'the next review: the default interval from the review');
      assert.equal(kept.body.owner, 'hw-lead');
      assert.equal(kept.body.lastReview.outcome, 'keep');
      assert.match(kept.body.lastReview.by, /^test-admin/);
      assert.equal(kept.body.lastReview.at, iso(now + HOUR_MS));
      const chosen = await server.api('POST', `/v1/access-paths/${id}/reviews`, { outcome: 'keep', nextReviewDue: iso(now + 30 * DAY_MS) });
      assert.equal(chosen.body.reviewDue, iso(now + 30 * DAY_MS));
      const shown = await server.api('GET', `/v1/access-paths/${id}`);
      assert.deepEqual(shown.body.reviews.map((r: any) => [r.outcome, r.nextReviewDue, Object.keys(r.changes)]), [
        ['keep', iso(now + HOUR_MS + 90 * DAY_MS), ['owner', 'expiryCondition']],
        ['keep', iso(now + 30 * DAY_MS), []],
      ]);
      const reviewed = (await events(id)).filter((e) => e.action === 'access_path.reviewed');
      assert.equal(reviewed.length, 2);
      assert.equal(reviewed[0]!.details.previousReviewDue, iso(now + 10 * DAY_MS));
      assert.deepEqual(reviewed[0]!.details.changes.owner, { from: null, to: 'hw-lead' });
      const ended = await server.api('POST', `/v1/access-paths/${id}/reviews`, { outcome: 'retire', note: 'rev B recalled' });
      assert.equal(ended.body.state, 'retired');
      assert.equal(ended.body.retired.reason, 'rev B recalled');
    });

    it('the report names exactly the planted paths without owner, without expiry, or with an overdue review — not the good ones (issue 14 test item 5); the CLI exits 4 with --fail-on-findings', async () => {
      // a fresh product so earlier tests' paths stay out of the product-filtered report
      await server.createProduct({ sku: 'RPT-1', name: 'Report', craClass: 'default', supportUntil: '2032-01-01' });
      const now = server.clock.now().getTime();
      const add = async (name: string, fields: Record<string, unknown>) => {
        const answer = await server.api('POST', '/v1/access-paths', { kind: 'vendor-account', name, product: 'RPT-1', ...fields });
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
        return answer.body.id as string;
      };
      const planted = {
        noOwner: await add('no owner', { expiresAt: iso(now + 200 * DAY_MS) }),
        noExpiry: await add('no expiry', { owner: 'erin' }),
        overdue: await add('review overdue', { owner: 'frank', expiresAt: iso(now + 200 * DAY_MS), reviewDue: iso(now + 2 * DAY_MS) }),
        expiryPassed: await add('expiry passed, not retired', { owner: 'gina', expiresAt: iso(now + 1 * DAY_MS) }),
      };
      const good = {
        dated: await add('dated, reviewed later', { owner: 'hank', expiresAt: iso(now + 200 * DAY_MS) }),
        conditional: await add('conditional', { owner: 'ivy', expiryCondition: 'until the Acme support contract ends' }),
        retiredBad: await add('retired, had nothing', {}),
        reviewedInTime: await add('reviewed before its date', { owner: 'jo', expiresAt: iso(now + 200 * DAY_MS), reviewDue: iso(now + 2 * DAY_MS) }),
      };
      assert.equal((await server.api('POST', `/v1/access-paths/${good.retiredBad}/retire`, { reason: 'account deleted' })).status, 200);
      assert.equal((await server.api('POST', `/v1/access-paths/${good.reviewedInTime}/reviews`, { outcome: 'keep' })).status, 200);

      server.clock.advance(3 * DAY_MS); // every token made so far has expired: their paths ended by themselves
      const admin3 = await admin('report-admin');
      const report = await server.api('GET', '/v1/access-paths/report?product=RPT-1', undefined, admin3);
      assert.equal(report.status, 200, JSON.stringify(report.body));
      assert.equal(report.body.at, iso(now + 3 * DAY_MS), "the server's clock");
      const named = Object.fromEntries(report.body.items.map((i: any) => [i.id, i.findings]));
      assert.deepEqual(named, {
        [planted.noOwner]: ['no-owner'],
        [planted.noExpiry]: ['no-expiry'],
        [planted.overdue]: ['review-overdue'],
        [planted.expiryPassed]: ['expiry-passed', 'review-overdue'],
      });
      assert.deepEqual(report.body.counts, { 'no-owner': 1, 'no-expiry': 1, 'review-overdue': 2, 'expiry-passed': 1 });
      assert.equal(report.body.checked, 7, 'every live path of the product was checked');

      // installation-wide: the expired tokens' paths are not named; the earlier tests' own plants are
      const all = await server.api('GET', '/v1/access-paths/report', undefined, admin3);
      assert.ok(all.body.items.every((i: any) => i.kind !== 'trustplane-token'), 'expired tokens are ended, not standing access');
      for (const id of Object.values(good)) assert.ok(!all.body.items.some((i: any) => i.id === id), `${id} is not named`);

      const env = { TRUSTPLANE_URL: server.url, TRUSTPLANE_TOKEN: admin3, TRUSTPLANE_HOME: '' };
      const plain = await runCli(['access-path', 'report', '--product', 'RPT-1'], { env });
      assert.equal(plain.code, 0, plain.stderr);
      assert.match(plain.stdout, /^4 of 7 live access path\(s\) named at /);
      const failing = await runCli(['access-path', 'report', '--product', 'RPT-1', '--fail-on-findings'], { env });
      assert.equal(failing.code, 4, failing.stderr);
      assert.match(failing.stderr, /^error: 4 access path\(s\) named by the report\n/);
      assert.match(failing.stderr, new RegExp(`${planted.noOwner} vendor-account "no owner": no-owner`));
      const clean = await runCli(['access-path', 'report', '--product', 'GW-1', '--kind', 'api-token', '--fail-on-findings'], { env });
      assert.equal(clean.code, 0, `nothing to name: exit 0 ${clean.stderr}`);

      const added = await runCli(['access-path', 'add', '--kind', 'debug-port', '--name', 'JTAG on rev A', '--product', 'RPT-1', '--json'], { env });
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stderr, /warning: no owner/);
      assert.match(added.stderr, /warning: no expiry/);
      const refused = await runCli(['access-path', 'add', '--kind', 'debug-port', '--name', 'JTAG', '--expiry-condition', 'never'], { env });
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /VALIDATION_FAILED: expiryCondition must name the event/);
      const id = JSON.parse(added.stdout).id;
      const reviewed = await runCli(['access-path', 'review', '--id', id, '--owner', 'kim', '--expires-at', '2028-01-01', '--note', 'checked'], { env });
      assert.equal(reviewed.code, 0, reviewed.stderr);
      const shown = await runCli(['access-path', 'show', '--id', id], { env });
      assert.match(shown.stdout, /owner: +kim/);
      const retired = await runCli(['access-path', 'retire', '--id', id, '--reason', 'fused off'], { env });
      assert.equal(retired.code, 0, retired.stderr);
      const listed = await runCli(['access-path', 'list', '--product', 'RPT-1', '--all'], { env });
      assert.match(listed.stdout, new RegExp(`${id} +debug-port`));
    });
  });
}
