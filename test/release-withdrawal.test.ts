/**
 * Issue 12: "every step is a ledger event: … withdrawn". Withdrawing a release, in one unit of
 * work: the release withdrawn (who, when, why: queryable, attestation will refuse it), its
 * `release.withdrawn` event, every live rollout naming it aborted with its own event, so no device
 * is assigned it again; the next targets version the release managers sign leaves it out (drafts
 * that carry it stop counting); a security release is still retained; an unpublished one can no
 * longer be approved. The retry of a withdrawal (its answer lost) writes nothing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signTufMetadata } from '../src/updates/tuf/index.ts';
import { databaseTargets } from './support/databases.ts';
import { runCli } from './support/serve-process.ts';
import { assertNothingWritten, expectRefusal } from './support/state-snapshot.ts';
import { startUpdateFleet, type UpdateFleet } from './support/update-fleet.ts';

const SKU = 'GW-WD';
const serials = ['WD0', 'WD1', 'WD2'];

for (const target of databaseTargets()) {
  describe(`release withdrawal (${target.name})`, () => {
    let fleet: UpdateFleet;
    let dir: string;
    const api = (method: string, path: string, body?: unknown, token?: string) => fleet.server.api(method, `/v1/products/${SKU}${path}`, body, token);
    const withdraw = (releaseId: string, body: unknown = { reason: 'boot loop on rev-b boards (PSIRT-118)' }, token?: string) => api('POST', `/releases/${releaseId}/withdraw`, body, token);
    const publishedTargets = async (): Promise<string[]> => {
      const summary = (await api('GET', '/tuf')).body;
      const file = await fetch(`${fleet.server.url}/tuf/${SKU}/metadata/${summary.targets.version}.targets.json`);
      return Object.keys(((await file.json()) as { signed: { targets: Record<string, unknown> } }).signed.targets).sort();
    };

    before(async () => {
      fleet = await startUpdateFleet(target, SKU, serials.map((serial) => ({ serial, tags: ['field'] })));
      dir = await mkdtemp(join(tmpdir(), 'tp-withdrawal-'));
    });
    after(async () => {
      await fleet?.server.destroy();
      await rm(dir, { recursive: true, force: true });
    });

    let withdrawn: string;
    let staleDraft: { signed: any };
    let next: string;
    it('withdraws a published release: its event, its live rollouts aborted with theirs, no device assigned it', async () => {
      withdrawn = await fleet.publishRelease('5.0.0', 30, 'security');
      const active = (await api('POST', '/rollouts', { releaseId: withdrawn, stages: [100], tag: 'field' })).body;
      const paused = (await api('POST', '/rollouts', { releaseId: withdrawn, stages: [100], serials: ['WD0'] })).body;
      assert.equal((await api('POST', `/rollouts/${paused.id}/pause`, {})).status, 200);
      const ended = (await api('POST', '/rollouts', { releaseId: withdrawn, stages: [10, 100], tag: 'field' })).body;
      assert.equal((await api('POST', `/rollouts/${ended.id}/abort`, {})).status, 200, 'an ended rollout stays as it ended');
      for (const serial of serials) assert.equal((await fleet.assignment(serial))?.releaseId, withdrawn, `${serial} is assigned it before`);
      // another release awaiting approval, its draft fetched before the withdrawal
      next = await fleet.createRelease('5.0.1', 31, 'security');
      staleDraft = (await api('GET', `/releases/${next}/approval`)).body.targets;
      assert.ok(Object.keys(staleDraft.signed as object).length > 0);

      const answer = await withdraw(withdrawn);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.state, 'withdrawn');
      assert.equal(answer.body.withdrawnReason, 'boot loop on rev-b boards (PSIRT-118)');
      assert.match(answer.body.withdrawnBy, /^test-admin/);
      assert.equal(answer.body.withdrawnAt, fleet.server.clock.now().toISOString());
      assert.deepEqual((await api('GET', `/releases/${withdrawn}`)).body, answer.body, 'the state is queryable');

      const events = await fleet.server.tp.database.db.selectFrom('events').select(['action', 'subject_id', 'details']).where('action', 'in', ['release.withdrawn', 'rollout.aborted']).orderBy('seq').execute();
      const ofThis = events.filter((e) => e.subject_id === withdrawn || [active.id, paused.id].includes(e.subject_id));
      const aborted = [active.id, paused.id].sort();
      assert.deepEqual(ofThis.map((e) => e.action), ['release.withdrawn', 'rollout.aborted', 'rollout.aborted']);
      assert.deepEqual(ofThis.slice(1).map((e) => e.subject_id).sort(), aborted);
      const details = ofThis[0]!.details as Record<string, any>;
      assert.equal(details.reason, 'boot loop on rev-b boards (PSIRT-118)');
      assert.equal(details.previousState, 'published');
      assert.deepEqual((details.abortedRollouts as string[]).sort(), aborted);
      for (const id of [active.id, paused.id]) assert.equal((await api('GET', `/rollouts/${id}`)).body.state, 'aborted');
      assert.deepEqual(await fleet.actions(ended.id), ['rollout.created', 'rollout.aborted'], 'no second abort of an ended rollout');
      for (const serial of serials) assert.equal(await fleet.assignment(serial), null, `${serial}: never assigned a withdrawn release`);
    });

    it('a retried withdrawal answers the release as it is and writes nothing', async () => {
      const first = (await api('GET', `/releases/${withdrawn}`)).body;
      fleet.server.clock.advance(60_000);
      const again = await assertNothingWritten(fleet.server, () => withdraw(withdrawn, { reason: 'said again' }), 'a retried withdrawal');
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, first, 'the first withdrawal stands: its time, its reason');
      assert.equal((await fleet.actions(withdrawn)).filter((a) => a === 'release.withdrawn').length, 1);
    });

    it('a withdrawn release is not rolled out again, and a security release is still retained', async () => {
      await expectRefusal(fleet.server, () => api('POST', '/rollouts', { releaseId: withdrawn, stages: [100] }), 409, 'RELEASE_NOT_PUBLISHED', 'a rollout of a withdrawn release');
      await expectRefusal(fleet.server, () => api('POST', '/rollouts', { releaseId: withdrawn, stages: [100], tag: 'field' }), 409, 'RELEASE_NOT_PUBLISHED', 'the aborted rollout asked again');
      const retained = await expectRefusal(fleet.server, () => api('DELETE', `/releases/${withdrawn}`), 409, 'RELEASE_RETAINED', 'deleting a withdrawn security release');
      assert.match(retained.detail ?? '', /retained until 2040-12-31/);
    });

    it('the next targets version leaves it out: a draft that carried it stops counting, the new one is published without it', async () => {
      const name = `firmware/5.0.0/fw-5.0.0.bin`;
      assert.ok((await publishedTargets()).includes(name), 'TUF still lists it until the managers sign a version without it');
      assert.ok(Object.hasOwn((staleDraft.signed as { targets: object }).targets, name), 'the draft fetched before carried it');
      await expectRefusal(fleet.server, () => api('POST', `/releases/${next}/approvals`, signTufMetadata(staleDraft.signed, fleet.manager)), 409, 'RELEASE_APPROVAL_STALE', 'an approval over a draft with the withdrawn target');
      const fresh = (await api('GET', `/releases/${next}/approval`)).body;
      assert.deepEqual(Object.keys(fresh.targets.signed.targets), ['firmware/5.0.1/fw-5.0.1.bin']);
      assert.equal(fresh.targets.signed.version, (staleDraft.signed as { version: number }).version, 'the same version, without it');

      // the release manager's CLI accepts the removal of a withdrawn release's target, and shows it
      const keyFile = join(dir, 'alice.key');
      await writeFile(keyFile, fleet.manager.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
      const env = { TRUSTPLANE_URL: fleet.server.url, TRUSTPLANE_TOKEN: fleet.server.adminToken, TRUSTPLANE_HOME: '' };
      const approve = await runCli(['release', 'approve', '--product', SKU, '--release', next, '--key', keyFile], { env });
      assert.equal(approve.code, 0, approve.stderr);
      assert.match(approve.stderr, /leaves out: +firmware\/5\.0\.0\/fw-5\.0\.0\.bin \(withdrawn by test-admin.*: boot loop on rev-b boards/);
      assert.match(approve.stdout, /release 5\.0\.1 is published/);
      assert.deepEqual(await publishedTargets(), ['firmware/5.0.1/fw-5.0.1.bin'], 'gone from TUF once the managers signed');
      const later = await fleet.createRelease('5.0.2', 32, 'feature');
      assert.deepEqual(Object.keys((await api('GET', `/releases/${later}/approval`)).body.targets.signed.targets).sort(), ['firmware/5.0.1/fw-5.0.1.bin', 'firmware/5.0.2/fw-5.0.2.bin'], 'and never carried over again');
    });

    it('withdraws a release awaiting approval: it can no longer be approved; the CLI says what happened', async () => {
      const pending = await fleet.createRelease('6.0.0-rc1', 40, 'feature');
      const draft = (await api('GET', `/releases/${pending}/approval`)).body.targets;
      const env = { TRUSTPLANE_URL: fleet.server.url, TRUSTPLANE_TOKEN: fleet.server.adminToken, TRUSTPLANE_HOME: '' };
      const cli = ['release', 'withdraw', '--product', SKU, '--release', pending, '--reason', 'superseded by 6.0.0-rc2'];
      const run = await runCli(cli, { env });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /state: +withdrawn/);
      assert.match(run.stdout, /withdrawn: +\S+ by test-admin.*: superseded by 6\.0\.0-rc2/);
      assert.equal((await runCli(cli, { env })).code, 0, 'run again: the same answer');
      assert.deepEqual(await fleet.actions(pending), ['release.created', 'release.withdrawn']);
      await expectRefusal(fleet.server, () => api('GET', `/releases/${pending}/approval`), 409, 'RELEASE_NOT_AWAITING_APPROVAL');
      await expectRefusal(fleet.server, () => api('POST', `/releases/${pending}/approvals`, signTufMetadata(draft.signed, fleet.manager)), 409, 'RELEASE_NOT_AWAITING_APPROVAL', 'an approval of a withdrawn release');
      // never published, never retained: it may be deleted
      assert.equal((await api('DELETE', `/releases/${pending}`)).status, 204);
    });

    it('refuses a withdrawal without a reason, of an unknown release, or by an auditor, and writes nothing', async () => {
      const release = await fleet.createRelease('7.0.0', 50, 'feature');
      await expectRefusal(fleet.server, () => withdraw(release, {}), 400, 'VALIDATION_FAILED', 'no reason');
      await expectRefusal(fleet.server, () => withdraw(release, { reason: '   ' }), 400, 'VALIDATION_FAILED', 'a blank reason');
      await expectRefusal(fleet.server, () => withdraw(release, { reason: 'x'.repeat(501) }), 400, 'VALIDATION_FAILED', 'a reason too long');
      await expectRefusal(fleet.server, () => withdraw('rel_00000000000000000000'), 404, 'RELEASE_NOT_FOUND');
      const { secret } = await fleet.server.tp.tokens.create({ role: 'auditor', owner: 'audrey', ttlSeconds: 3600 }, 'test');
      await expectRefusal(fleet.server, () => withdraw(release, undefined, secret), 403, 'FORBIDDEN', 'an auditor');
      assert.equal((await api('GET', `/releases/${release}`)).body.state, 'awaiting-approval');
    });

    it('a withdrawn release leaves TUF without waiting for a release: the managers re-sign the targets without it (`tuf sign-targets`)', async () => {
      const name = 'firmware/5.0.1/fw-5.0.1.bin';
      assert.equal((await withdraw(next, { reason: 'bricks rev-c boards' })).status, 200);
      assert.ok((await publishedTargets()).includes(name), 'still listed: only the managers can take it out');
      const draft = (await api('GET', '/tuf/targets/resign')).body;
      assert.deepEqual([draft.reason, draft.targetNames.includes(name)], ['renewal', false]);
      const signed = await api('POST', '/tuf/targets/resign/signatures', signTufMetadata(draft.targets.signed, fleet.manager));
      assert.deepEqual([signed.status, signed.body.published], [200, true]);
      assert.ok(!(await publishedTargets()).includes(name), 'gone from TUF');
    });
  });
}
