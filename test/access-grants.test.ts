/**
 * Issue 14, requests, approval and grants through the real server on every store: a technician
 * asks, someone else approves or denies (never the requester, compared by the tokens' owners; never
 * a technician); durations within the policy; nobody is granted a revoked or decommissioned device;
 * break-glass is self-approved, short, and listed until someone else reviews it; a grant ends early
 * by its requester or an approver; revoking or decommissioning a device ends the grants naming it
 * in the same transaction. Each refusal writes nothing; each step is a ledger event.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { FakeClock } from '../src/core/clock.ts';
import { makeCsr } from '../src/testkit/csr.ts';
import { databaseTargets } from './support/databases.ts';
import { assertNothingWritten, expectRefusal } from './support/state-snapshot.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'GW-AX';
const START = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();

for (const target of databaseTargets()) {
  describe(`access requests, approval and grants (${target.name})`, () => {
    let server: TestServer;
    let clock: FakeClock;
    const tokens: Record<'tina' | 'tom' | 'anna' | 'tinaAdmin' | 'audrey', string> = { tina: '', tom: '', anna: '', tinaAdmin: '', audrey: '' };
    const grants = (path = '') => `/v1/products/${SKU}/access/grants${path}`;
    const ask = (body: Record<string, unknown>, token = tokens.tina) => server.api('POST', grants(), { purpose: 'replace the modem', ticket: 'OPS-1', durationSeconds: 3600, ...body }, token);
    const history = async (id: string) => ((await server.api('GET', grants(`/${id}`))).body.history as { action: string; actor: string; details: Record<string, unknown> }[]);

    before(async () => {
      clock = new FakeClock(START);
      server = await startTestServer({ target, clock });
      await server.createProduct({ sku: SKU, name: SKU, craClass: 'default', supportUntil: '2040-12-31' });
      for (const serial of ['AX1', 'AX2', 'AX3', 'AX4', 'AX5']) {
        assert.equal((await server.api('POST', `/v1/products/${SKU}/devices`, { serial, tags: ['site-a'] })).status, 201);
        assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/${serial}/enroll`, { csr: makeCsr('ecdsa-p256').pem })).status, 201);
      }
      const make = async (role: 'technician' | 'approver' | 'admin' | 'auditor', owner: string) => (await server.tp.tokens.create({ role, owner, ttlSeconds: 12 * 3600 }, 'test')).secret;
      tokens.tina = await make('technician', 'tina');
      tokens.tom = await make('technician', 'tom');
      tokens.anna = await make('approver', 'anna');
      tokens.tinaAdmin = await make('admin', 'tina');
      tokens.audrey = await make('auditor', 'audrey');
    });
    after(() => server?.destroy());

    it('a technician asks, an approver approves: the window starts at approval and lasts the duration; each step a ledger event naming who', async () => {
      const asked = await ask({ devices: ['AX1', 'AX2'] });
      assert.equal(asked.status, 201, JSON.stringify(asked.body));
      assert.equal(asked.body.status, 'requested');
      assert.deepEqual(asked.body.principals, [`device:${SKU}:AX1`, `device:${SKU}:AX2`]);
      assert.match(asked.body.serial, /^[1-9][0-9]*$/);
      clock.advance(60_000);
      const approved = await server.api('POST', grants(`/${asked.body.id}/approve`), { note: 'ok for OPS-1' }, tokens.anna);
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      assert.equal(approved.body.status, 'approved');
      assert.equal(approved.body.validFrom, clock.now().toISOString());
      assert.equal(approved.body.validUntil, new Date(clock.now().getTime() + 3600_000).toISOString());
      const events = await history(asked.body.id);
      assert.deepEqual(events.map((e) => e.action), ['access.requested', 'access.granted']);
      assert.match(events[0]!.actor, /^tina \(technician/);
      assert.equal(events[0]!.details.purpose, 'replace the modem');
      assert.equal(events[0]!.details.ticket, 'OPS-1');
      assert.match(events[1]!.actor, /^anna \(approver/);
      assert.equal(events[1]!.details.approvedBy, 'anna');
    });

    it('refused with nothing written: approval by the requester (another token of the same owner), a technician approving, a decision on a decided grant', async () => {
      const asked = await ask({ tag: 'site-a' });
      assert.equal(asked.status, 201);
      const self = await expectRefusal(server, () => server.api('POST', grants(`/${asked.body.id}/approve`), {}, tokens.tinaAdmin), 403, 'ACCESS_SELF_APPROVAL', 'the requester approving');
      assert.ok(self.detail);
      await expectRefusal(server, () => server.api('POST', grants(`/${asked.body.id}/deny`), {}, tokens.tinaAdmin), 403, 'ACCESS_SELF_APPROVAL', 'the requester denying');
      await expectRefusal(server, () => server.api('POST', grants(`/${asked.body.id}/approve`), {}, tokens.tom), 403, 'FORBIDDEN', 'a technician approving');
      const denied = await server.api('POST', grants(`/${asked.body.id}/deny`), { note: 'no ticket for site a' }, tokens.anna);
      assert.equal(denied.body.status, 'denied');
      // the same denial again (its answer lost): the grant as denied, nothing written
      const retried = await assertNothingWritten(server, () => server.api('POST', grants(`/${asked.body.id}/deny`), { note: 'no ticket for site a' }, tokens.anna));
      assert.equal(retried.status, 200, JSON.stringify(retried.body));
      assert.equal(retried.body.status, 'denied');
      assert.equal(retried.body.decidedAt, denied.body.decidedAt);
      await expectRefusal(server, () => server.api('POST', grants(`/${asked.body.id}/approve`), {}, tokens.anna), 409, 'ACCESS_GRANT_STATE_CONFLICT', 'approving a denied grant');
      await expectRefusal(server, () => server.api('POST', grants(`/${asked.body.id}/end`), { reason: 'x' }, tokens.anna), 409, 'ACCESS_GRANT_STATE_CONFLICT', 'ending a denied grant');
      const events = await history(asked.body.id);
      assert.deepEqual(events.map((e) => e.action), ['access.requested', 'access.denied']);
      assert.equal(events[1]!.details.deniedBy, 'anna');
      assert.equal(events[1]!.details.note, 'no ticket for site a');
    });

    it('refused with nothing written: a duration over the policy (8 h, break-glass 1 h), a policy since shrunk, a revoked or decommissioned device, an unknown one', async () => {
      const over = await expectRefusal(server, () => ask({ devices: ['AX1'], durationSeconds: 8 * 3600 + 1 }), 422, 'ACCESS_DURATION_OVER_POLICY', 'over 8 h');
      assert.match(over.detail ?? '', /at most 28800 s/);
      await expectRefusal(server, () => ask({ devices: ['AX1'], durationSeconds: 3601, breakGlass: true }), 422, 'ACCESS_DURATION_OVER_POLICY', 'break-glass over 1 h');
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/AX4/revoke`, { reason: 'keyCompromise' })).status, 200);
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/AX5/decommission`, {})).status, 200);
      await expectRefusal(server, () => ask({ devices: ['AX1', 'AX4'] }), 409, 'ACCESS_DEVICE_ENDED', 'a revoked device');
      await expectRefusal(server, () => ask({ devices: ['AX5'] }), 409, 'ACCESS_DEVICE_ENDED', 'a decommissioned device');
      await expectRefusal(server, () => ask({ devices: ['NOPE'] }), 404, 'DEVICE_NOT_FOUND', 'an unknown device');
      await expectRefusal(server, () => ask({ devices: ['AX1'], tag: 'site-a' }), 400, 'VALIDATION_FAILED', 'two targets');
      const asked = await ask({ product: true, durationSeconds: 4 * 3600 });
      assert.equal(asked.status, 201);
      assert.deepEqual(asked.body.principals, [`product:${SKU}`]);
      assert.equal((await server.api('PATCH', `/v1/products/${SKU}/access/policy`, { maxDurationSeconds: 2 * 3600 })).status, 200);
      await expectRefusal(server, () => server.api('POST', grants(`/${asked.body.id}/approve`), {}, tokens.anna), 422, 'ACCESS_DURATION_OVER_POLICY', 'the policy shrank since the request');
      assert.equal((await server.api('PATCH', `/v1/products/${SKU}/access/policy`, { maxDurationSeconds: 8 * 3600 })).status, 200);
    });

    it('the policy: admins change it (an event), technicians and approvers may not, break-glass stays the shortest', async () => {
      await expectRefusal(server, () => server.api('PATCH', `/v1/products/${SKU}/access/policy`, { maxDurationSeconds: 60 }, tokens.tina), 403, 'FORBIDDEN', 'a technician');
      await expectRefusal(server, () => server.api('PATCH', `/v1/products/${SKU}/access/policy`, { maxDurationSeconds: 60 }, tokens.anna), 403, 'FORBIDDEN', 'an approver');
      await expectRefusal(server, () => server.api('PATCH', `/v1/products/${SKU}/access/policy`, { maxDurationSeconds: 1800, breakGlassMaxSeconds: 3600 }), 400, 'VALIDATION_FAILED', 'break-glass longer');
      await expectRefusal(server, () => server.api('PATCH', `/v1/products/${SKU}/access/policy`, { sourceAddress: '10.0.0.0/33' }), 400, 'VALIDATION_FAILED', 'a bad CIDR');
      const policy = (await server.api('GET', `/v1/products/${SKU}/access/policy`, undefined, tokens.tina)).body;
      assert.equal(policy.maxDurationSeconds, 8 * 3600);
      assert.equal(policy.breakGlassMaxSeconds, 3600);
      assert.deepEqual(policy.extensions, ['permit-pty']);
      assert.equal(policy.maxCertificatesPerGrant, 1);
    });

    it('break-glass: granted at once by its requester for at most 1 h, listed until someone else reviews it', async () => {
      const glass = await ask({ devices: ['AX3'], breakGlass: true, durationSeconds: 1800, purpose: 'outage, gateway down' });
      assert.equal(glass.status, 201, JSON.stringify(glass.body));
      assert.equal(glass.body.status, 'approved');
      assert.equal(glass.body.breakGlass, true);
      assert.equal(glass.body.validUntil, new Date(clock.now().getTime() + 1800_000).toISOString());
      const unreviewed = async () => ((await server.api('GET', `${grants()}?unreviewed=true`, undefined, tokens.anna)).body.items as { id: string }[]).map((g) => g.id);
      assert.deepEqual(await unreviewed(), [glass.body.id]);
      await expectRefusal(server, () => server.api('POST', grants(`/${glass.body.id}/review`), {}, tokens.tinaAdmin), 403, 'ACCESS_SELF_APPROVAL', 'reviewing one’s own break-glass');
      const reviewed = await server.api('POST', grants(`/${glass.body.id}/review`), { note: 'outage INC-9, fine' }, tokens.anna);
      assert.equal(reviewed.status, 200);
      assert.equal(reviewed.body.reviewedAt, clock.now().toISOString());
      assert.deepEqual(await unreviewed(), []);
      await expectRefusal(server, () => server.api('POST', grants(`/${glass.body.id}/review`), {}, tokens.anna), 409, 'ACCESS_GRANT_STATE_CONFLICT', 'a second review');
      const events = await history(glass.body.id);
      assert.deepEqual(events.map((e) => e.action), ['access.requested', 'access.granted', 'access.break_glass_reviewed']);
      assert.equal(events[1]!.details.breakGlass, true);
      assert.equal(events[2]!.details.reviewedBy, 'anna');
    });

    it('a grant ends early by its requester or an approver (with why), not by another technician; ending it again changes nothing', async () => {
      const asked = await ask({ devices: ['AX2'] });
      await expectRefusal(server, () => server.api('POST', grants(`/${asked.body.id}/end`), { reason: 'mine now' }, tokens.tom), 403, 'FORBIDDEN', 'another technician');
      const ended = await server.api('POST', grants(`/${asked.body.id}/end`), { reason: 'not needed after all' }, tokens.tina);
      assert.equal(ended.status, 200);
      assert.equal(ended.body.status, 'ended');
      assert.equal(ended.body.endReason, 'not needed after all');
      const again = await server.api('POST', grants(`/${asked.body.id}/end`), { reason: 'twice' }, tokens.anna);
      assert.equal(again.body.endReason, 'not needed after all');
      const events = await history(asked.body.id);
      assert.deepEqual(events.map((e) => e.action), ['access.requested', 'access.ended']);
      assert.equal(events[1]!.details.endedBy, 'tina');
      assert.equal(events[1]!.details.reason, 'not needed after all');
    });

    it('an expired grant reads expired and cannot be ended', async () => {
      const asked = await ask({ devices: ['AX1'], durationSeconds: 600 });
      await server.api('POST', grants(`/${asked.body.id}/approve`), {}, tokens.anna);
      clock.advance(601_000);
      assert.equal((await server.api('GET', grants(`/${asked.body.id}`), undefined, tokens.tina)).body.status, 'expired');
      await expectRefusal(server, () => server.api('POST', grants(`/${asked.body.id}/end`), { reason: 'late' }, tokens.anna), 409, 'ACCESS_GRANT_STATE_CONFLICT', 'ending an expired grant');
    });

    it('decommissioning a device ends every grant naming it (awaiting approval or current) in its own transaction; a tag grant stays', async () => {
      const current = await ask({ devices: ['AX2', 'AX3'] });
      await server.api('POST', grants(`/${current.body.id}/approve`), {}, tokens.anna);
      const pending = await ask({ devices: ['AX2'] });
      const tag = await ask({ tag: 'site-a' });
      await server.api('POST', grants(`/${tag.body.id}/approve`), {}, tokens.anna);
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/AX2/decommission`, {})).status, 200);
      for (const id of [current.body.id, pending.body.id]) {
        const g = (await server.api('GET', grants(`/${id}`))).body;
        assert.equal(g.status, 'ended', id);
        assert.equal(g.endReason, 'device AX2 decommissioned');
        const ended = g.history.find((e: { action: string }) => e.action === 'access.ended');
        assert.match(ended.actor, /^test-admin/);
      }
      assert.equal((await server.api('GET', grants(`/${tag.body.id}`))).body.status, 'approved');
      const device = (await server.api('GET', `/v1/products/${SKU}/devices/AX2/history`)).body.items as { action: string; details: { accessGrantsEnded?: string[] } }[];
      // and the first test's grant, which named AX2 too and is still current
      const ended = device.find((e) => e.action === 'device.decommissioned')?.details.accessGrantsEnded ?? [];
      assert.ok([current.body.id, pending.body.id].every((id: string) => ended.includes(id)), JSON.stringify(ended));
      assert.ok(!ended.includes(tag.body.id));
    });

    it('a technician reads only their own grants; an auditor reads all and decides nothing', async () => {
      const mine = (await server.api('GET', grants(), undefined, tokens.tom)).body.items as unknown[];
      assert.equal(mine.length, 0);
      const all = (await server.api('GET', grants(), undefined, tokens.audrey)).body.items as { requester: string }[];
      assert.ok(all.length > 5 && all.every((g) => g.requester === 'tina'));
      const someone = all[0] as unknown as { id: string };
      await expectRefusal(server, () => server.api('GET', grants(`/${someone.id}`), undefined, tokens.tom), 404, 'ACCESS_GRANT_NOT_FOUND', "another technician's grant");
      await expectRefusal(server, () => server.api('POST', grants(`/${someone.id}/deny`), {}, tokens.audrey), 403, 'FORBIDDEN', 'an auditor deciding');
      await expectRefusal(server, () => ask({ devices: ['AX1'] }, tokens.anna), 403, 'FORBIDDEN', 'an approver asking');
    });

    it('the SSH CAs are privileged access paths: registered in the transaction that makes them, owned, with an expiry condition, and not standing access in the report', async () => {
      const ca = await server.api('GET', `/v1/products/${SKU}/access/ca`);
      assert.equal(ca.status, 200, JSON.stringify(ca.body));
      const paths = (await server.api('GET', '/v1/access-paths?kind=ssh-ca')).body.items as { name: string; product: string | null; owner: string | null; expiryCondition: string | null; source: string }[];
      const ours = paths.filter((p) => p.product === SKU);
      assert.deepEqual(ours.map((p) => p.name.replace(/ sshca_\S+/, '')).sort(), [`SSH host CA of ${SKU}`, `SSH user CA of ${SKU}`]);
      for (const p of ours) {
        assert.equal(p.source, 'system');
        assert.ok(p.owner, 'an owner');
        assert.match(p.expiryCondition ?? '', /rotation/);
      }
      const { rows: events } = await sql<{ action: string; subject_id: string }>`select action, subject_id from events where action in ('ssh.ca.created', 'access_path.registered') order by seq`.execute(server.tp.database.db);
      const registered = events.filter((e) => e.action === 'access_path.registered').map((e) => e.subject_id);
      for (const p of ours as unknown as { id: string }[]) assert.ok(registered.includes(p.id), 'each path has its access_path.registered event');
      const report = (await server.api('GET', '/v1/access-paths/report')).body.items as { name: string }[];
      assert.equal(report.some((i) => i.name.includes(`CA`) && i.name.endsWith(`of ${SKU}`)), false, 'the CAs are not standing access');
      assert.equal((await server.api('GET', `/v1/products/${SKU}/access/ca`)).status, 200);
      assert.equal((await server.api('GET', '/v1/access-paths?kind=ssh-ca')).body.items.filter((p: { product: string | null }) => p.product === SKU).length, 2, 'registered once');
    });

    it('a request retried after a lost answer, while the first is open, is answered with the open grant and writes nothing; asked again once decided, it is new', async () => {
      const body = { devices: ['AX3', 'AX1'], ticket: 'OPS-RETRY' };
      const first = await ask(body);
      assert.equal(first.status, 201, JSON.stringify(first.body));
      const again = await assertNothingWritten(server, () => ask({ ...body, devices: ['AX1', 'AX3'] }), 'the retried request');
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.id, first.body.id);
      assert.equal(again.body.status, 'requested');
      // another ticket, another duration, another person: each a request of its own
      const other = await ask({ ...body, ticket: 'OPS-RETRY-2' });
      assert.equal(other.status, 201);
      assert.notEqual(other.body.id, first.body.id);
      const longer = await ask({ ...body, durationSeconds: 7200 });
      assert.equal(longer.status, 201);
      const toms = await ask(body, tokens.tom);
      assert.equal(toms.status, 201);
      // two copies of one request at once: one grant
      const [x, y] = await Promise.all([ask({ ...body, ticket: 'OPS-RACE' }), ask({ ...body, ticket: 'OPS-RACE' })]);
      assert.deepEqual([x.status, y.status].sort(), [200, 201]);
      assert.equal(x.body.id, y.body.id);
      // once denied, the same request is a new one
      assert.equal((await server.api('POST', grants(`/${first.body.id}/deny`), { note: 'not today' }, tokens.anna)).status, 200);
      const after = await ask(body);
      assert.equal(after.status, 201);
      assert.notEqual(after.body.id, first.body.id);
      // break-glass retried while it runs: the running grant; once ended, a new one
      const glass = { devices: ['AX1'], ticket: 'OPS-GLASS-RETRY', durationSeconds: 1800, breakGlass: true };
      const g1 = await ask(glass);
      assert.equal(g1.status, 201);
      const g2 = await ask(glass);
      assert.equal(g2.status, 200);
      assert.equal(g2.body.id, g1.body.id);
      assert.deepEqual((await history(g1.body.id)).map((e) => e.action), ['access.requested', 'access.granted']);
      assert.equal((await server.api('POST', grants(`/${g1.body.id}/end`), { reason: 'done' })).status, 200);
      const g3 = await ask(glass);
      assert.equal(g3.status, 201);
      assert.notEqual(g3.body.id, g1.body.id);
      for (const id of [other.body.id, longer.body.id, toms.body.id, x.body.id, after.body.id, g3.body.id]) {
        assert.equal((await server.api('POST', grants(`/${id}/end`), { reason: 'test over' })).status, 200);
      }
    });

    it("a request nobody decides in the policy's requestTtlSeconds (a day by default) expires: it reads expired, is decided by nobody, and asking again is new", async () => {
      const body = { devices: ['AX1'], ticket: 'OPS-STALE' };
      const daily = await ask(body);
      assert.equal(daily.status, 201);
      assert.equal(daily.body.decideBy, new Date(clock.now().getTime() + 24 * 3600_000).toISOString(), 'a day by default');
      // the policy sets it, within 5 minutes and a week; a request keeps the deadline it was given
      assert.equal((await server.api('PATCH', `/v1/products/${SKU}/access/policy`, { requestTtlSeconds: 600 })).status, 200);
      await expectRefusal(server, () => server.api('PATCH', `/v1/products/${SKU}/access/policy`, { requestTtlSeconds: 60 }), 400, 'VALIDATION_FAILED', 'a ttl under 5 minutes');
      const asked = await ask({ ...body, ticket: 'OPS-SHORT' });
      assert.equal(asked.body.decideBy, new Date(clock.now().getTime() + 600_000).toISOString());
      clock.advance(600_000);
      assert.equal((await server.api('GET', grants(`/${asked.body.id}`))).body.status, 'expired');
      assert.equal((await server.api('GET', grants(`/${daily.body.id}`))).body.status, 'requested', 'the first keeps its day');
      await expectRefusal(server, () => server.api('POST', grants(`/${asked.body.id}/approve`), {}, tokens.anna), 409, 'ACCESS_GRANT_STATE_CONFLICT', 'approving an expired request');
      await expectRefusal(server, () => server.api('POST', grants(`/${asked.body.id}/end`), { reason: 'x' }), 409, 'ACCESS_GRANT_STATE_CONFLICT', 'ending an expired request');
      const again = await ask({ ...body, ticket: 'OPS-SHORT' });
      assert.equal(again.status, 201, 'an expired request is not open: asking again is a new request');
      assert.notEqual(again.body.id, asked.body.id);
      clock.advance(300_000);
      assert.equal((await server.api('POST', grants(`/${again.body.id}/approve`), {}, tokens.anna)).status, 200, 'decided in time');
      for (const id of [again.body.id, daily.body.id]) assert.equal((await server.api('POST', grants(`/${id}/end`), { reason: 'test over' })).status, 200);
      assert.equal((await server.api('PATCH', `/v1/products/${SKU}/access/policy`, { requestTtlSeconds: 86_400 })).status, 200);
    });
  });
}
