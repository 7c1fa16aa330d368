/**
 * Issue 12, DESIGN rule 8: an operator's script whose answer was lost retries, and a retry never
 * does the thing twice. A rollout request again, while the rollout it made is live, is that
 * rollout (200, nothing written); pause of a paused rollout, resume of an active one, abort of an
 * aborted one answer the rollout as it is; an advance names the stage it leaves (`fromStage`), so
 * its retry finds the stage reached and changes nothing, and an advance decided on a stage the
 * rollout is no longer at is refused. An aborted rollout assigns nothing, as the device sees it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { databaseTargets } from './support/databases.ts';
import { runCli } from './support/serve-process.ts';
import { assertNothingWritten, expectRefusal } from './support/state-snapshot.ts';
import { startUpdateFleet, type UpdateFleet } from './support/update-fleet.ts';

const SKU = 'GW-RETRY';
const serials = ['RT0', 'RT1', 'RT2', 'RT3'];

for (const target of databaseTargets()) {
  describe(`retried rollout requests (${target.name})`, () => {
    let fleet: UpdateFleet;
    let releaseId: string;
    let dir: string;
    const api = (method: string, path: string, body?: unknown) => fleet.server.api(method, `/v1/products/${SKU}${path}`, body);
    const command = (id: string, name: string, body: unknown = {}) => api('POST', `/rollouts/${id}/${name}`, body);

    before(async () => {
      fleet = await startUpdateFleet(target, SKU, serials.map((serial, i) => ({ serial, tags: i < 3 ? ['pilot'] : [] })));
      releaseId = await fleet.publishRelease('4.0.0', 20);
      dir = await mkdtemp(join(tmpdir(), 'tp-rollout-retries-'));
    });
    after(async () => {
      await fleet?.server.destroy();
      await rm(dir, { recursive: true, force: true });
    });

    it('the same rollout request while its rollout is live is that rollout: 200, nothing written; after abort it makes a new one', async () => {
      const body = { releaseId, stages: [10, 50, 100], tag: 'pilot', failureThresholdPct: 20, soakSeconds: 3600 };
      const created = await api('POST', '/rollouts', body);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const again = await assertNothingWritten(fleet.server, () => api('POST', '/rollouts', body), 'a retried rollout creation');
      assert.equal(again.status, 200);
      assert.equal(again.body.id, created.body.id);
      assert.deepEqual(await fleet.actions(created.body.id), ['rollout.created']);
      // still the same while paused: a retry after the threshold or an operator paused it
      assert.equal((await command(created.body.id, 'pause')).status, 200);
      assert.equal((await assertNothingWritten(fleet.server, () => api('POST', '/rollouts', body))).body.id, created.body.id);
      // a request that differs is another rollout
      const other = await api('POST', '/rollouts', { ...body, stages: [10, 100] });
      assert.equal(other.status, 201);
      assert.notEqual(other.body.id, created.body.id);
      assert.equal((await command(other.body.id, 'abort')).status, 200);
      // once ended, the same request is a new decision
      assert.equal((await command(created.body.id, 'abort')).status, 200);
      const anew = await api('POST', '/rollouts', body);
      assert.equal(anew.status, 201);
      assert.notEqual(anew.body.id, created.body.id);
      assert.equal((await command(anew.body.id, 'abort')).status, 200);
    });

    it('a list of serials is the same request in any order and with repeats', async () => {
      const created = await api('POST', '/rollouts', { releaseId, stages: [100], serials: ['RT1', 'RT0'] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const again = await assertNothingWritten(fleet.server, () => api('POST', '/rollouts', { releaseId, stages: [100], serials: ['RT0', 'RT1', 'RT0'] }));
      assert.equal(again.status, 200);
      assert.equal(again.body.id, created.body.id);
      const wider = await api('POST', '/rollouts', { releaseId, stages: [100], serials: ['RT0', 'RT1', 'RT2'] });
      assert.equal(wider.status, 201, 'another cohort is another rollout');
      for (const id of [created.body.id, wider.body.id]) assert.equal((await command(id, 'abort')).status, 200);
    });

    it('pause, resume and abort retried answer the rollout as it is and write nothing; abort stops assignments', async () => {
      const rollout = (await api('POST', '/rollouts', { releaseId, stages: [100], tag: 'pilot' })).body;
      assert.equal((await fleet.assignment('RT0'))?.rolloutId, rollout.id, 'stage 1 reaches every device of the cohort');
      for (const [name, state] of [['pause', 'paused'], ['resume', 'active'], ['abort', 'aborted']] as const) {
        const done = await command(rollout.id, name);
        assert.equal(done.status, 200, JSON.stringify(done.body));
        assert.equal(done.body.state, state);
        const retried = await assertNothingWritten(fleet.server, () => command(rollout.id, name), `${name} retried`);
        assert.equal(retried.status, 200);
        assert.deepEqual(retried.body, done.body, `${name} retried: the rollout as it is`);
      }
      assert.deepEqual(await fleet.actions(rollout.id), ['rollout.created', 'rollout.paused', 'rollout.resumed', 'rollout.aborted']);
      for (const serial of serials) assert.equal(await fleet.assignment(serial), null, `${serial}: an aborted rollout assigns nothing`);
      await expectRefusal(fleet.server, () => command(rollout.id, 'resume'), 409, 'ROLLOUT_STATE_CONFLICT', 'resuming an aborted rollout');
      await expectRefusal(fleet.server, () => command(rollout.id, 'pause'), 409, 'ROLLOUT_STATE_CONFLICT', 'pausing an aborted rollout');
    });

    it('advance from a stage: once; its retry changes nothing; an advance decided on another stage is refused', async () => {
      const rollout = (await api('POST', '/rollouts', { releaseId, stages: [10, 50, 100], serials })).body;
      const first = await command(rollout.id, 'advance', { fromStage: 1 });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.stage, 2);
      const retried = await assertNothingWritten(fleet.server, () => command(rollout.id, 'advance', { fromStage: 1 }), 'a retried advance');
      assert.equal(retried.status, 200);
      assert.equal(retried.body.stage, 2, 'not advanced twice');
      assert.deepEqual(retried.body, first.body);
      await expectRefusal(fleet.server, () => command(rollout.id, 'advance', { fromStage: 3 }), 409, 'ROLLOUT_STAGE_MISMATCH', 'a stage not reached');
      assert.equal((await command(rollout.id, 'advance', { fromStage: 2 })).body.stage, 3);
      const stale = await expectRefusal(fleet.server, () => command(rollout.id, 'advance', { fromStage: 1 }), 409, 'ROLLOUT_STAGE_MISMATCH', 'decided on stage 1, now at 3');
      assert.match(stale.detail ?? '', /at stage 3 of 3, not 1/);
      await expectRefusal(fleet.server, () => command(rollout.id, 'advance', { fromStage: 3 }), 409, 'ROLLOUT_STATE_CONFLICT', 'past the last stage');
      await expectRefusal(fleet.server, () => command(rollout.id, 'pause', { fromStage: 3 }), 400, 'VALIDATION_FAILED', 'fromStage is for advance');
      await expectRefusal(fleet.server, () => command(rollout.id, 'advance', { fromStage: 0 }), 400, 'VALIDATION_FAILED', 'stages count from 1');
      await expectRefusal(fleet.server, () => command(rollout.id, 'advance', { toStage: 2 }), 400, 'VALIDATION_FAILED', 'an unknown field');
      const events = await fleet.server.tp.database.db.selectFrom('events').select(['action', 'details']).where('subject_id', '=', rollout.id).orderBy('seq').execute();
      assert.deepEqual(events.map((e) => [e.action, (e.details as { fromStage?: number }).fromStage]), [['rollout.created', undefined], ['rollout.advanced', 1], ['rollout.advanced', 2]]);
      assert.equal((await command(rollout.id, 'abort')).status, 200);
    });

    it('an advance without fromStage (an empty body, or none) still moves one stage, as before', async () => {
      const rollout = (await api('POST', '/rollouts', { releaseId, stages: [10, 50, 100], tag: 'pilot' })).body;
      const moved = await command(rollout.id, 'advance');
      assert.equal(moved.status, 200);
      assert.equal(moved.body.stage, 2);
      const bodiless = await api('POST', `/rollouts/${rollout.id}/advance`);
      assert.equal(bodiless.status, 200, JSON.stringify(bodiless.body));
      assert.equal(bodiless.body.stage, 3);
      assert.equal((await command(rollout.id, 'abort')).status, 200);
    });

    it('CLI: rollout create and advance are safe to re-run', async () => {
      const env = { TRUSTPLANE_URL: fleet.server.url, TRUSTPLANE_TOKEN: fleet.server.adminToken, TRUSTPLANE_HOME: '' };
      const devicesFile = join(dir, 'devices.txt');
      await writeFile(devicesFile, '# the pilot\nRT2\nRT0\n');
      const create = ['rollout', 'create', '--product', SKU, '--release', releaseId, '--stages', '10,50,100', '--devices', devicesFile, '--failure-threshold', '5%'];
      const first = await runCli([...create, '--json'], { env });
      assert.equal(first.code, 0, first.stderr);
      const id = JSON.parse(first.stdout).id as string;
      const rerun = await runCli(create, { env });
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.match(rerun.stderr, new RegExp(`rollout already created \\(${id}, active\\)`));
      assert.match(rerun.stdout, new RegExp(`id: +${id}`));

      const advance = ['rollout', 'advance', '--product', SKU, '--rollout', id, '--from-stage', '1'];
      for (let run = 0; run < 2; run++) {
        const out = await runCli(advance, { env });
        assert.equal(out.code, 0, out.stderr);
        assert.match(out.stdout, /stage: +2 of 3/, `run ${run + 1}: stage 2, never 3`);
      }
      // without --from-stage the CLI sends the stage it read
      const read = await runCli(['rollout', 'advance', '--product', SKU, '--rollout', id], { env });
      assert.equal(read.code, 0, read.stderr);
      assert.match(read.stdout, /stage: +3 of 3/);
      const stale = await runCli(advance, { env });
      assert.equal(stale.code, 2);
      assert.match(stale.stderr, /ROLLOUT_STAGE_MISMATCH/);
      for (let run = 0; run < 2; run++) assert.equal((await runCli(['rollout', 'abort', '--product', SKU, '--rollout', id], { env })).code, 0, 'abort twice');
      assert.deepEqual(await fleet.actions(id), ['rollout.created', 'rollout.advanced', 'rollout.advanced', 'rollout.aborted']);
    });
  });
}
