/**
 * Issue 13, CRA Article 14 clocks, through the real server on each store with the injected clock
 * (FakeClock): marking a vulnerability actively exploited starts the 24 h early warning and 72 h
 * notification (Art 14(2)(a), (b)); its final report's clock starts only when a release the
 * register names as fixing it is published (14(2)(c)); a severe incident's final report is due one
 * calendar month after its notification was *submitted* (14(4)(c)); each stage is stopped by
 * recording its submission, a retry writes nothing; drafts are pre-filled from the register; bad
 * input is refused with problem+json and nothing written; every change is a ledger event in its
 * own unit of work (a refused event undoes it); `vuln due --fail-on-overdue` exits 4.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Article14Context } from '../src/article14/article14-context.ts';
import type { Article14Store, Article14UnitOfWork } from '../src/article14/article14-store.types.ts';
import { updateReportCase } from '../src/article14/case-update.ts';
import { recordIncident } from '../src/article14/incidents.ts';
import { recordSubmission } from '../src/article14/submissions.ts';
import { DAY_MS, HOUR_MS } from '../src/core/clock.ts';
import { recordDeviceReport } from '../src/updates/rollouts.ts';
import { signTufMetadata } from '../src/updates/tuf/index.ts';
import { databaseTargets } from './support/databases.ts';
import { runCli } from './support/serve-process.ts';
import { assertNothingWritten, expectRefusal, takeSnapshot } from './support/state-snapshot.ts';
import type { TestServer } from './support/test-server.ts';
import { startUpdateFleet, type UpdateFleet } from './support/update-fleet.ts';

const SKU = 'GW-14';
const VULN = 'ACME-2026-0001';
const iso = (ms: number) => new Date(ms).toISOString();

for (const target of databaseTargets()) {
  describe(`CRA Article 14 clocks (${target.name})`, () => {
    let fleet: UpdateFleet;
    let server: TestServer;
    let oldRelease = '';
    let fixRelease = '';
    let caseId = '';
    let awareAt = 0;
    let publishedAt = 0;

    /** An admin token of the moment: the clock moves days ahead, past any token's lifetime. */
    let admin = '';
    const setClock = async (at: number) => {
      server.clock.set(new Date(at));
      admin = (await server.tp.tokens.create({ role: 'admin', owner: 'psirt', ttlSeconds: 3600 }, 'test')).secret;
    };
    const api = (method: string, path: string, body?: unknown, token?: string) => server.api(method, path, body, token ?? admin);
    /** A release manager's approval (threshold 1: it publishes), at the clock's time. */
    const approve = async (releaseId: string) => {
      const approval = await api('GET', `/v1/products/${SKU}/releases/${releaseId}/approval`);
      assert.equal(approval.status, 200, JSON.stringify(approval.body));
      return api('POST', `/v1/products/${SKU}/releases/${releaseId}/approvals`, signTufMetadata(approval.body.targets.signed, fleet.manager));
    };
    const createProduct = async (sku: string) => assert.equal((await api('POST', '/v1/products', { sku, name: sku, craClass: 'default', supportUntil: '2040-12-31' })).status, 201);
    const reportCase = async (id = caseId, sku = SKU) => {
      const answer = await api('GET', `/v1/products/${sku}/reports/${id}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    };
    const stageOf = (c: any, stage: string) => c.stages.find((s: any) => s.stage === stage);
    const due = async (query = '') => {
      const answer = await api('GET', `/v1/reports/due${query}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    };
    const submit = (body: Record<string, unknown>, id = caseId, sku = SKU) => api('POST', `/v1/products/${sku}/reports/${id}/submissions`, body);
    const patch = (body: Record<string, unknown>, id = caseId, sku = SKU) => api('PATCH', `/v1/products/${sku}/reports/${id}`, body);
    const draft = (stage: string, id = caseId, format = '') => api('GET', `/v1/products/${SKU}/reports/${id}/drafts/${stage}${format}`);
    const events = async (action: string) => (await server.tp.database.db.selectFrom('events').selectAll().where('action', '=', action).orderBy('seq').execute()).map((e) => ({ subject: e.subject_id, details: e.details as any }));
    const installed = async (serial: string, releaseId: string) => {
      const product = await server.tp.product(SKU);
      const device = (await server.tp.identity.store.findDevice(product.id, serial))!;
      await recordDeviceReport(server.tp.updates, product, device, { releaseId, outcome: 'installed' }, { kind: 'system', name: 'test' });
    };
    // count(*) is int8: a string from `pg`, a number from PGlite
    const rows = async (table: string) => Number((await server.tp.database.db.selectFrom(table as 'events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

    before(async () => {
      fleet = await startUpdateFleet(target, SKU, [{ serial: 'gw-1' }, { serial: 'gw-2' }, { serial: 'gw-3' }]);
      server = fleet.server;
      admin = server.adminToken;
      oldRelease = await fleet.publishRelease('1.0.0', 1);
      fixRelease = await fleet.createRelease('1.1.0', 2);
      await installed('gw-1', oldRelease);
      await installed('gw-2', oldRelease);
      const added = await api('POST', `/v1/products/${SKU}/vulnerabilities`, { id: VULN, summary: 'Command injection in the web console', details: 'The diagnostics page passes the host field to a shell.' });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      // 1.0.0 is fixed by 1.1.0, which awaits approval: no corrective measure is available yet
      const set = await api('PUT', `/v1/products/${SKU}/vulnerabilities/${VULN}/releases/${oldRelease}`, { status: 'fixed', fixedInReleaseId: fixRelease });
      assert.equal(set.status, 200, JSON.stringify(set.body));
    });
    after(() => server?.destroy());

    it('marking a vulnerability actively exploited starts its clocks: early warning 24 h and notification 72 h after awareness, in exact hours', async () => {
      awareAt = server.clock.now().getTime() - 2 * HOUR_MS;
      assert.equal((await api('PUT', `/v1/products/${SKU}/vulnerabilities/${VULN}/exploitation`, { awareAt: iso(awareAt), note: 'seen in the wild by a customer SOC' })).status, 200);
      const list = await api('GET', `/v1/products/${SKU}/reports`);
      assert.equal(list.body.items.length, 1);
      const c = list.body.items[0];
      caseId = c.id;
      assert.match(caseId, /^rpc_[0-9a-f]{20}$/);
      assert.equal(c.kind, 'vulnerability');
      assert.equal(c.vulnerability.id, VULN);
      assert.equal(c.awareAt, iso(awareAt));
      assert.deepEqual(
        c.stages.map((s: any) => [s.stage, s.article, s.startsOn, s.dueAt, s.state]),
        [
          ['early_warning', 'Art 14(2)(a)', 'awareness', iso(awareAt + 24 * HOUR_MS), 'open'],
          ['notification', 'Art 14(2)(b)', 'awareness', iso(awareAt + 72 * HOUR_MS), 'open'],
          ['final', 'Art 14(2)(c)', 'measure-available', null, 'waiting'],
          ['intermediate', 'Art 14(6)', 'on-request', null, 'on-request'],
        ],
      );
      assert.equal(stageOf(c, 'early_warning').secondsLeft, 22 * 3600);
      assert.equal(await rows('report_cases'), 0, "the case is the exploitation mark's: no row until something is written to it");
      const listed = (await due(`?product=${SKU}`)).items.filter((i: any) => i.caseId === caseId);
      assert.deepEqual(listed.map((i: any) => [i.stage, i.state]), [['early_warning', 'open'], ['notification', 'open'], ['final', 'waiting']]);
      assert.match(listed[2].waitingFor, /corrective or mitigating measure/);
    });

    it('a deadline is met at its instant and missed a millisecond later, as the injected clock moves', async () => {
      await setClock(awareAt + 24 * HOUR_MS);
      let d = await due(`?product=${SKU}`);
      assert.deepEqual([d.items[0].stage, d.items[0].state, d.items[0].secondsLeft], ['early_warning', 'open', 0]);
      assert.equal(d.counts.overdue, 0);
      server.clock.advance(1);
      d = await due(`?product=${SKU}`);
      assert.deepEqual([d.items[0].stage, d.items[0].state], ['early_warning', 'overdue']);
      assert.equal(d.counts.overdue, 1);
      await setClock(awareAt + 72 * HOUR_MS + 1);
      assert.deepEqual((await due(`?product=${SKU}`)).items.filter((i: any) => i.state === 'overdue').map((i: any) => i.stage), ['early_warning', 'notification']);
    });

    it('the final report clock starts when the fixing release is published: due 14 days after its publication', async () => {
      await setClock(awareAt + 80 * HOUR_MS);
      assert.equal(stageOf(await reportCase(), 'final').state, 'waiting', 'a fix awaiting approval is not available');
      const approved = await approve(fixRelease);
      assert.equal(approved.body.published, true, JSON.stringify(approved.body));
      publishedAt = server.clock.now().getTime();
      const c = await reportCase();
      assert.deepEqual(c.measureAvailable.fixRelease, { releaseId: fixRelease, version: '1.1.0', publishedAt: iso(publishedAt) });
      const final = stageOf(c, 'final');
      assert.deepEqual([final.startedAt, final.dueAt, final.state], [iso(publishedAt), iso(publishedAt + 14 * DAY_MS), 'open']);
      await setClock(publishedAt + 14 * DAY_MS);
      assert.equal(stageOf(await reportCase(), 'final').state, 'open');
      server.clock.advance(1);
      assert.equal(stageOf(await reportCase(), 'final').state, 'overdue');
    });

    it('a submission stops its stage’s clock; the same again writes nothing; other details, a time before awareness or in the future are refused', async () => {
      const early = { stage: 'early_warning', submittedAt: iso(awareAt + 23 * HOUR_MS), reference: 'SRP-2026-0001', to: ['ENISA', 'csirt:de'] };
      const recorded = await submit(early);
      assert.equal(recorded.status, 201, JSON.stringify(recorded.body));
      assert.deepEqual(recorded.body.submission.to, ['enisa', 'csirt:DE']);
      assert.deepEqual(recorded.body.warnings, []);
      const stage = stageOf(recorded.body.case, 'early_warning');
      assert.deepEqual([stage.state, stage.late, stage.submissions.length], ['submitted', false, 1]);
      assert.equal(await rows('report_cases'), 1, 'the first write stores the case');
      const again = await assertNothingWritten(server, () => submit(early), 'the same submission again (its answer lost)');
      assert.deepEqual([again.status, again.body.changed], [200, false]);
      const { submittedAt: _, ...withoutTime } = early;
      assert.equal((await assertNothingWritten(server, () => submit(withoutTime), 'the retry without a time')).status, 200);
      await expectRefusal(server, () => submit({ ...early, to: ['enisa'] }), 409, 'REPORT_SUBMISSION_CONFLICT', 'the same reference to others');
      await expectRefusal(server, () => submit({ ...early, submittedAt: iso(awareAt + 22 * HOUR_MS) }), 409, 'REPORT_SUBMISSION_CONFLICT', 'the same reference at another time');
      await expectRefusal(server, () => submit({ stage: 'notification', reference: 'SRP-X', to: ['enisa'], submittedAt: iso(awareAt - 1000) }), 422, 'REPORT_BEFORE_AWARENESS');
      await expectRefusal(server, () => submit({ stage: 'notification', reference: 'SRP-X', to: ['enisa'], submittedAt: iso(server.clock.now().getTime() + 60_000) }), 400, 'VALIDATION_FAILED', 'in the future');
      await expectRefusal(server, () => submit({ stage: 'notification', reference: 'SRP-X', to: ['enisa'], submittedAt: '2026-02-30T10:00:00Z' }), 400, 'VALIDATION_FAILED', 'a date that is none');
      await expectRefusal(server, () => submit({ stage: 'notification', reference: 'SRP-X', to: ['csirt:UK'] }), 400, 'VALIDATION_FAILED', 'a CSIRT of no Member State');
      await expectRefusal(server, () => submit({ stage: 'notification', reference: 'SRP-X', to: [] }), 400, 'VALIDATION_FAILED', 'nobody');
      await expectRefusal(server, () => submit({ stage: 'verbal', reference: 'SRP-X', to: ['enisa'] }), 400, 'VALIDATION_FAILED', 'no such stage');
      await expectRefusal(server, () => submit({ stage: 'notification', reference: 'line\nbreak', to: ['enisa'] }), 400, 'VALIDATION_FAILED', 'a reference on two lines');
      await expectRefusal(server, () => submit({ stage: 'notification', reference: 'SRP-X', to: ['enisa'] }, 'rpc_00000000000000000000'), 404, 'REPORT_CASE_NOT_FOUND');
      // late, and to ENISA only: recorded, with the deadline missed and a warning
      const notification = await submit({ stage: 'notification', submittedAt: iso(awareAt + 73 * HOUR_MS), reference: 'SRP-2026-0002', to: ['enisa'] });
      assert.equal(notification.status, 201);
      assert.match(notification.body.warnings.join(' '), /CSIRT designated as coordinator/);
      assert.deepEqual([stageOf(notification.body.case, 'notification').state, stageOf(notification.body.case, 'notification').late], ['submitted', true]);
      const final = await submit({ stage: 'final', reference: 'SRP-2026-0003', to: ['enisa', 'csirt:DE'] });
      assert.equal(stageOf(final.body.case, 'final').late, true, 'a millisecond past 14 days');
      assert.equal((await submit({ stage: 'intermediate', reference: 'CSIRT-DE-REQ-7', to: ['csirt:DE'] })).status, 201, 'an intermediate report the CSIRT asked for');
      assert.deepEqual((await due(`?product=${SKU}`)).items.filter((i: any) => i.caseId === caseId), [], 'every stage submitted: nothing due');
      const submitted = (await events('report.submitted')).filter((e) => e.subject === caseId);
      assert.deepEqual(submitted.map((e) => [e.details.stage, e.details.late ?? null]), [['early_warning', false], ['notification', true], ['final', true], ['intermediate', false]]);
      assert.deepEqual(submitted[0]!.details, { product: SKU, kind: 'vulnerability', vulnerability: VULN, stage: 'early_warning', article: 'Art 14(2)(a)', reference: 'SRP-2026-0001', submittedAt: early.submittedAt, to: ['enisa', 'csirt:DE'], dueAt: iso(awareAt + 24 * HOUR_MS), late: false });
    });

    it('drafts are pre-filled from the register and name what is to supply; a PATCH supplies it; JSON and Markdown', async () => {
      const early = (await draft('early_warning')).body;
      assert.equal(early.article, 'Art 14(2)(a)');
      assert.equal(early.title, 'Early warning notification of an actively exploited vulnerability');
      const section = (d: any, name: string) => d.sections.find((s: any) => s.name === name);
      assert.deepEqual(section(early, 'product').value, { sku: SKU, name: SKU, craClass: 'default' });
      assert.equal(section(early, 'vulnerability').value.summary, 'Command injection in the web console');
      assert.deepEqual(section(early, 'awareness').value, { awareAt: iso(awareAt), markedBy: section(early, 'awareness').value.markedBy, note: 'seen in the wild by a customer SOC' });
      assert.deepEqual([section(early, 'memberStates').source, section(early, 'memberStates').qualifier], ['to-supply', 'where applicable']);
      assert.deepEqual(early.toSupply, ['memberStates']);
      const notification = (await draft('notification')).body;
      assert.deepEqual(section(notification, 'affectedReleases').value, [{ releaseId: oldRelease, version: '1.0.0', status: 'fixed' }]);
      assert.equal(section(notification, 'devicesToInform').value, 2, 'gw-1 and gw-2 run 1.0.0, fixed only in 1.1.0');
      assert.deepEqual(notification.toSupply, ['nature', 'measuresTaken', 'userMeasures', 'sensitivity']);
      assert.match(section(notification, 'measuresTaken').hint, /release 1\.1\.0 .* fixes it/);

      const supplied = { memberStates: ['de', 'FR', 'de'], nature: 'Unauthenticated command injection through the diagnostics page', measuresTaken: 'Release 1.1.0 validates the host field', userMeasures: 'Install 1.1.0; until then block port 8080 from untrusted networks', sensitivity: 'TLP:AMBER' };
      const patched = await patch(supplied);
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.equal(patched.body.changed, true);
      assert.deepEqual(patched.body.memberStates, { value: ['DE', 'FR'], source: 'case' });
      assert.equal(patched.body.fields.sensitivity, 'TLP:AMBER');
      const same = await assertNothingWritten(server, () => patch(supplied), 'the same fields again');
      assert.equal(same.body.changed, false);
      assert.deepEqual((await events('report.draft-updated')).at(-1)!.details.fields, { measuresTaken: supplied.measuresTaken, memberStates: ['DE', 'FR'], nature: supplied.nature, sensitivity: 'TLP:AMBER', userMeasures: supplied.userMeasures });
      assert.deepEqual((await draft('notification')).body.toSupply, []);

      await expectRefusal(server, () => patch({ rootCause: 'a supplier' }), 422, 'REPORT_FIELD_NOT_APPLICABLE', "an incident's field");
      await expectRefusal(server, () => patch({ maliciousActsSuspected: true }), 422, 'REPORT_FIELD_NOT_APPLICABLE', "an incident's early warning item");
      const british = await expectRefusal(server, () => patch({ memberStates: ['UK'] }), 400, 'VALIDATION_FAILED', 'UK');
      assert.match(british.detail ?? '', /not an EU or EEA Member State/);
      await expectRefusal(server, () => patch({ sensitivity: 'secret' }), 400, 'VALIDATION_FAILED', 'not a TLP label');
      await expectRefusal(server, () => patch({ nature: '   ' }), 400, 'VALIDATION_FAILED', 'blank');
      await expectRefusal(server, () => patch({ colour: 'red' }), 400, 'VALIDATION_FAILED', 'no such field');
      await expectRefusal(server, () => patch({ nature: 'x' }, caseId, 'NO-SUCH'), 404, 'PRODUCT_NOT_FOUND');

      const cleared = await patch({ nature: null });
      assert.equal(cleared.body.fields.nature, null);
      assert.deepEqual((await draft('notification')).body.toSupply, ['nature']);
      await patch({ nature: supplied.nature });

      const final = (await draft('final')).body;
      assert.deepEqual(section(final, 'fixRelease').value, { releaseId: fixRelease, version: '1.1.0', publishedAt: iso(publishedAt) });
      assert.equal(section(final, 'vulnerability').value.details, 'The diagnostics page passes the host field to a shell.');
      assert.deepEqual(final.toSupply, ['severityAndImpact', 'maliciousActor', 'correctiveMeasures']);
      assert.deepEqual(final.deadline, { startsOn: 'measure-available', startedAt: iso(publishedAt), dueAt: iso(publishedAt + 14 * DAY_MS), state: 'submitted', submittedAt: final.deadline.submittedAt, late: true, waitingFor: null });

      const md = await draft('notification', caseId, '?format=markdown');
      assert.equal(md.status, 200);
      assert.match(md.type, /^text\/markdown/);
      assert.match(md.body, /^# Vulnerability notification\n/);
      assert.match(md.body, /Regulation \(EU\) 2024\/2847 \(Cyber Resilience Act\), Art 14\(2\)\(b\)/);
      assert.match(md.body, /## The general nature of the exploit and of the vulnerability concerned\n\n\*Art 14\(2\)\(b\)\*\n\nUnauthenticated command injection/);
      assert.match(md.body, /TLP:AMBER/);
      assert.match(md.body, /- 1\.0\.0 \(rel_[0-9a-f]{20}\): fixed/);
      const finalMd = (await draft('final', caseId, '?format=markdown')).body;
      assert.match(finalMd, /## A description of the vulnerability, including its severity and impact\n\n\*Art 14\(2\)\(c\)\(i\)\*\n\n\*\*\[TO SUPPLY\]\*\*/);
      assert.match(finalMd, /## Information concerning any malicious actor .* \(where available\)\n\n\*Art 14\(2\)\(c\)\(ii\)\*\n\n\*\*\[TO SUPPLY, where available\]\*\*/);
      assert.match(finalMd, /To supply before sending: severityAndImpact, maliciousActor, correctiveMeasures\./);
      await expectRefusal(server, () => draft('verbal'), 400, 'VALIDATION_FAILED', 'no such stage');
      await expectRefusal(server, () => draft('final', caseId, '?format=pdf'), 400, 'VALIDATION_FAILED', 'no such format');
    });

    it('a mitigation stated available starts the final report clock without a release; the earlier of it and a published fix counts, never before awareness', async () => {
      const id = 'ACME-2026-0002';
      assert.equal((await api('POST', `/v1/products/${SKU}/vulnerabilities`, { id, summary: 'Debug shell left enabled' })).status, 201);
      const aware = server.clock.now().getTime() - HOUR_MS;
      assert.equal((await api('PUT', `/v1/products/${SKU}/vulnerabilities/${id}/exploitation`, { awareAt: iso(aware) })).status, 200);
      const c = (await api('GET', `/v1/products/${SKU}/reports`)).body.items.find((x: any) => x.vulnerability?.id === id);
      assert.equal(stageOf(c, 'final').state, 'waiting');
      const mitigated = server.clock.now().getTime() - 30 * 60_000;
      await expectRefusal(server, () => patch({ mitigationAvailableAt: iso(server.clock.now().getTime() + 1000) }, c.id), 400, 'VALIDATION_FAILED', 'in the future');
      const stated = await patch({ mitigationAvailableAt: iso(mitigated) }, c.id);
      assert.equal(stated.status, 200, JSON.stringify(stated.body));
      assert.deepEqual(stated.body.measureAvailable, { at: iso(mitigated), fixRelease: null, mitigationAvailableAt: iso(mitigated) });
      assert.equal(stageOf(stated.body, 'final').dueAt, iso(mitigated + 14 * DAY_MS));
      // 1.1.0 (published before this awareness) fixing it too: the earlier of the two still counts, and never before awareness
      await api('PUT', `/v1/products/${SKU}/vulnerabilities/${id}/releases/${oldRelease}`, { status: 'fixed', fixedInReleaseId: fixRelease });
      const both = await reportCase(c.id);
      assert.equal(both.measureAvailable.at, iso(publishedAt));
      assert.equal(stageOf(both, 'final').startedAt, iso(aware), 'a fix available before awareness starts the clock at awareness');
      assert.equal(stageOf(both, 'final').dueAt, iso(aware + 14 * DAY_MS));
    });

    it('a severe incident starts its clocks when recorded; its final report is due one calendar month after the notification was submitted', async () => {
      const body = { description: 'Build server compromised: signing requests from an unknown host', awareAt: '2026-10-29T22:00:00.000Z' };
      const recorded = await api('POST', `/v1/products/${SKU}/incidents`, body);
      assert.equal(recorded.status, 201, JSON.stringify(recorded.body));
      const c = recorded.body.case;
      assert.match(recorded.body.incident.id, /^inc_[0-9a-f]{20}$/);
      assert.deepEqual(
        c.stages.map((s: any) => [s.stage, s.article, s.dueAt, s.state]),
        [
          ['early_warning', 'Art 14(4)(a)', '2026-10-30T22:00:00.000Z', 'overdue'],
          ['notification', 'Art 14(4)(b)', '2026-11-01T22:00:00.000Z', 'overdue'],
          ['final', 'Art 14(4)(c)', null, 'waiting'],
          ['intermediate', 'Art 14(6)', null, 'on-request'],
        ],
      );
      assert.match(stageOf(c, 'final').waitingFor, /submission of the incident notification/);
      const again = await assertNothingWritten(server, () => api('POST', `/v1/products/${SKU}/incidents`, body), 'the same incident again (its answer lost)');
      assert.deepEqual([again.status, again.body.incident.id, again.body.case.id], [200, recorded.body.incident.id, c.id]);
      await expectRefusal(server, () => api('POST', `/v1/products/${SKU}/incidents`, { ...body, awareAt: iso(server.clock.now().getTime() + 1000) }), 400, 'VALIDATION_FAILED', 'aware in the future');
      await expectRefusal(server, () => api('POST', `/v1/products/${SKU}/incidents`, { description: '' }), 400, 'VALIDATION_FAILED', 'no description');
      await expectRefusal(server, () => api('POST', `/v1/products/${SKU}/incidents`, { description: 'x', severity: 'high' }), 400, 'VALIDATION_FAILED', 'an unknown field');

      // notified on 31 October, before its deadline: the final report is due on 30 November (no 31st)
      const notified = await submit({ stage: 'notification', submittedAt: '2026-10-31T20:00:00.000Z', reference: 'SRP-INC-1', to: ['enisa', 'csirt:NL'] }, c.id);
      assert.equal(notified.status, 201, JSON.stringify(notified.body));
      const final = stageOf(notified.body.case, 'final');
      assert.deepEqual([final.startsOn, final.startedAt, final.dueAt], ['notification-submitted', '2026-10-31T20:00:00.000Z', '2026-11-30T20:00:00.000Z']);
      assert.equal(stageOf(notified.body.case, 'notification').late, false);
      assert.equal(final.state, 'overdue', `the clock (${server.clock.now().toISOString()}) is past 30 November 2026`);

      await expectRefusal(server, () => patch({ maliciousActor: 'APT-x' }, c.id), 422, 'REPORT_FIELD_NOT_APPLICABLE', "a vulnerability's field");
      await expectRefusal(server, () => patch({ mitigationAvailableAt: '2026-10-30T00:00:00Z' }, c.id), 422, 'REPORT_FIELD_NOT_APPLICABLE', "a vulnerability's clock");
      await expectRefusal(server, () => patch({ maliciousActsSuspected: 'perhaps' }, c.id), 400, 'VALIDATION_FAILED', 'not a boolean');
      const supplied = await patch({ maliciousActsSuspected: true, rootCause: 'A leaked CI token', initialAssessment: 'No signed image left the build server', memberStates: ['NL', 'BE'] }, c.id);
      assert.equal(supplied.status, 200, JSON.stringify(supplied.body));
      const early = (await draft('early_warning', c.id)).body;
      assert.equal(early.title, 'Early warning notification of a severe incident');
      assert.deepEqual(early.sections.map((s: any) => [s.name, s.source]), [['product', 'trustplane'], ['incident', 'trustplane'], ['awareness', 'trustplane'], ['maliciousActsSuspected', 'supplied'], ['memberStates', 'supplied']]);
      const md = (await draft('early_warning', c.id, '?format=markdown')).body;
      assert.match(md, /yes: suspected of being caused by unlawful or malicious acts/);
      assert.match(md, /BE, NL/);
      assert.deepEqual((await draft('final', c.id)).body.toSupply, ['severityAndImpact', 'correctiveMeasures']);

      const defaulted = await api('POST', `/v1/products/${SKU}/incidents`, { description: 'Update mirror served a stale timestamp' });
      assert.equal(defaulted.body.case.awareAt, server.clock.now().toISOString(), 'no awareness time stated: now');
      const list = await api('GET', `/v1/products/${SKU}/incidents`);
      assert.deepEqual(list.body.items.map((i: any) => i.caseId), [c.id, defaulted.body.case.id]);
      assert.deepEqual((await events('incident.recorded')).map((e) => e.details.case), [c.id, defaulted.body.case.id]);
    });

    it("the product's Member States (its CRA profile) pre-fill a draft whose case states none; unset, the draft names them to supply", async () => {
      const sku = 'GW-14-EU';
      await createProduct(sku);
      const recorded = await api('POST', `/v1/products/${sku}/incidents`, { description: 'Signing key found on a public share' });
      assert.equal(recorded.status, 201, JSON.stringify(recorded.body));
      const id = recorded.body.case.id;
      const early = async () => (await api('GET', `/v1/products/${sku}/reports/${id}/drafts/early_warning`)).body;
      const statesOf = (d: any) => d.sections.find((s: any) => s.name === 'memberStates');
      const profile = (body: unknown) => api('PATCH', `/v1/products/${sku}/cra-profile`, body);

      // unset: the draft says so, as a section to supply, and says where to record it
      let d = await early();
      assert.deepEqual([statesOf(d).source, statesOf(d).value], ['to-supply', null]);
      assert.match(statesOf(d).hint, /records no Member States \(trustplane product profile set --member-states\)/);
      assert.ok(d.toSupply.includes('memberStates'));
      assert.deepEqual((await reportCase(id, sku)).memberStates, { value: null, source: null });
      assert.equal((await api('GET', `/v1/products/${sku}/cra-profile`)).body.madeAvailable, null);

      // bad input: refused, nothing written
      for (const [bad, why] of [[['DE', 'XX'], 'not a code'], [['DE', 'de'], 'twice'], [['GR', 'EL'], 'Greece twice'], [[], 'empty'], ['all', 'not all-eu'], [['UK'], 'not a Member State'], [[42], 'not text']] as const) {
        await expectRefusal(server, () => profile({ memberStates: bad }), 400, 'VALIDATION_FAILED', why);
      }

      // recorded: EU codes (GR is EL), sorted, with who and when, in one profile event
      const set = await profile({ memberStates: ['fr', 'GR'] });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.deepEqual(set.body.madeAvailable.memberStates, ['EL', 'FR']);
      assert.match(set.body.madeAvailable.recordedBy, /^psirt \(admin, tok_/);
      assert.equal(set.body.madeAvailable.recordedAt, server.clock.now().toISOString());
      const changed = (await events('product.cra-profile-changed')).filter((e) => e.subject === sku);
      assert.deepEqual(changed.map((e) => e.details.changes), [{ memberStates: { from: null, to: ['EL', 'FR'] } }]);
      assert.equal((await assertNothingWritten(server, () => profile({ memberStates: ['FR', 'EL'] }), 'the same states again')).status, 200);

      d = await early();
      assert.deepEqual([statesOf(d).source, statesOf(d).value, statesOf(d).hint], ['trustplane', ['EL', 'FR'], null]);
      assert.ok(!d.toSupply.includes('memberStates'));
      assert.deepEqual((await reportCase(id, sku)).memberStates, { value: ['EL', 'FR'], source: 'product' });
      // what a case states wins; withdrawn, the product's applies again
      await patch({ memberStates: ['NL'] }, id, sku);
      assert.deepEqual(statesOf(await early()).value, ['NL']);
      await patch({ memberStates: null }, id, sku);
      assert.deepEqual(statesOf(await early()).value, ['EL', 'FR']);

      // all-eu: the 27, named as such in the readable draft
      await profile({ memberStates: 'all-eu' });
      d = await early();
      assert.equal(statesOf(d).value.length, 27);
      assert.ok(statesOf(d).value.includes('EL') && !statesOf(d).value.includes('GR'));
      const md = (await api('GET', `/v1/products/${sku}/reports/${id}/drafts/early_warning?format=markdown`)).body;
      assert.match(md, /all 27 EU Member States: AT, BE, BG, /);
      // withdrawn: to supply again
      await profile({ memberStates: null });
      assert.equal(statesOf(await early()).source, 'to-supply');
    });

    it('roles: an auditor reads reports and what is due; changing them takes vulnerability:write; a token limited to products sees its own', async () => {
      await createProduct('OTHER-14');
      const { secret: auditor } = await server.tp.tokens.create({ role: 'auditor', owner: 'audrey', ttlSeconds: 3600 }, 'test');
      const { secret: scoped } = await server.tp.tokens.create({ role: 'operator', owner: 'ops', ttlSeconds: 3600, products: ['OTHER-14'] }, 'test');
      assert.equal((await api('GET', `/v1/products/${SKU}/reports`, undefined, auditor)).status, 200);
      assert.equal((await api('GET', `/v1/products/${SKU}/reports/${caseId}/drafts/final?format=markdown`, undefined, auditor)).status, 200);
      assert.ok((await api('GET', '/v1/reports/due', undefined, auditor)).body.items.length > 0);
      await expectRefusal(server, () => api('PATCH', `/v1/products/${SKU}/reports/${caseId}`, { nature: 'x' }, auditor), 403, 'FORBIDDEN');
      await expectRefusal(server, () => api('POST', `/v1/products/${SKU}/reports/${caseId}/submissions`, { stage: 'intermediate', reference: 'A', to: ['enisa'] }, auditor), 403, 'FORBIDDEN');
      await expectRefusal(server, () => api('POST', `/v1/products/${SKU}/incidents`, { description: 'x' }, auditor), 403, 'FORBIDDEN');
      await expectRefusal(server, () => api('GET', `/v1/products/${SKU}/reports`, undefined, scoped), 403, 'FORBIDDEN', "another product's");
      await expectRefusal(server, () => api('GET', `/v1/reports/due?product=${SKU}`, undefined, scoped), 403, 'FORBIDDEN', "another product's due list");
      assert.deepEqual((await api('GET', '/v1/reports/due', undefined, scoped)).body.items, [], 'only its own products');
      await expectRefusal(server, () => api('GET', '/v1/reports/due?product=NO-SUCH'), 404, 'PRODUCT_NOT_FOUND');
    });

    it('a change whose ledger event the database refuses leaves nothing behind (one unit of work)', async () => {
      const tp = server.tp;
      const product = await tp.product(SKU);
      const actor = { kind: 'system', name: 'test' } as const;
      // jsonb cannot hold NUL: the event append fails inside the change's transaction
      const poison = (uow: Article14UnitOfWork): Article14UnitOfWork =>
        new Proxy(uow, {
          get(t, prop) {
            if (prop === 'recordEvents') return (events: any[]) => t.recordEvents(events.map((e) => ({ ...e, details: { ...e.details, poison: 'nul \u0000 here' } })));
            const value = Reflect.get(t, prop, t);
            return typeof value === 'function' ? value.bind(t) : value;
          },
        });
      const store: Article14Store = new Proxy(tp.article14.store, {
        get(t, prop) {
          if (prop === 'unitOfWork') return (fn: any, options: any) => t.unitOfWork((uow) => fn(poison(uow)), options);
          const value = Reflect.get(t, prop, t);
          return typeof value === 'function' ? value.bind(t) : value;
        },
      });
      const bad: Article14Context = { ...tp.article14, store };
      const id = (await api('GET', `/v1/products/${SKU}/reports`)).body.items.find((x: any) => x.vulnerability?.id === 'ACME-2026-0002').id;
      const before = await takeSnapshot(server);
      const caseBefore = await reportCase(id);
      await assert.rejects(() => updateReportCase(bad, product, id, { severityAndImpact: 'critical' }, actor), /\\u0000|Unicode escape/);
      await assert.rejects(() => recordSubmission(bad, product, id, { stage: 'early_warning', reference: 'P-1', to: ['enisa'] }, actor), /\\u0000|Unicode escape/);
      await assert.rejects(() => recordIncident(bad, product, { description: 'poisoned' }, actor), /\\u0000|Unicode escape/);
      assert.deepEqual(await takeSnapshot(server), before);
      assert.deepEqual(await reportCase(id), caseBefore, 'the draft field and the case row rolled back with the event');
    });

    it('CLI: vuln due (exit 4 with --fail-on-overdue when a stage is overdue), incident record|list, vuln report show|draft|set|submit', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tp-art14-'));
      try {
        const env = { TRUSTPLANE_URL: server.url, TRUSTPLANE_TOKEN: admin, TRUSTPLANE_HOME: '' };
        const cli = (args: string[]) => runCli(args, { env });
        await createProduct('CLI-14');
        const aware = iso(server.clock.now().getTime() - 25 * HOUR_MS);
        const recorded = await cli(['incident', 'record', '--product', 'CLI-14', '--description', 'Cloud relay credentials leaked', '--aware-at', aware, '--json']);
        assert.equal(recorded.code, 0, recorded.stderr);
        const incident = JSON.parse(recorded.stdout).incident.id as string;
        const due = await cli(['vuln', 'due', '--product', 'CLI-14']);
        assert.equal(due.code, 0, 'without --fail-on-overdue an overdue stage is shown, not failed');
        assert.match(due.stdout, /early_warning +Art 14\(4\)\(a\) .* OVERDUE by 1 h/);
        assert.match(due.stdout, /notification +Art 14\(4\)\(b\) .* 1 d 23 h left/);
        assert.match(due.stdout, /final +Art 14\(4\)\(c\) .* waiting for the submission of the incident notification/);
        const failing = await cli(['vuln', 'due', '--product', 'CLI-14', '--fail-on-overdue']);
        assert.equal(failing.code, 4, failing.stderr);
        assert.match(failing.stderr, /^error: 1 Article 14 report stage\(s\) overdue\nCLI-14 inc_[0-9a-f]{20} early_warning \(Art 14\(4\)\(a\)\) was due /);
        const json = JSON.parse((await cli(['vuln', 'due', '--product', 'CLI-14', '--json'])).stdout);
        assert.deepEqual(json.counts, { open: 1, overdue: 1, waiting: 1 });

        const drafted = await cli(['vuln', 'report', 'draft', '--product', 'CLI-14', '--incident', incident, '--stage', 'early_warning']);
        assert.equal(drafted.code, 0, drafted.stderr);
        assert.match(drafted.stdout, /^# Early warning notification of a severe incident/);
        assert.match(drafted.stdout, /\*\*\[TO SUPPLY\]\*\*/);
        const out = join(dir, 'early.md');
        assert.equal((await cli(['vuln', 'report', 'draft', '--product', 'CLI-14', '--incident', incident, '--stage', 'early_warning', '--out', out])).code, 0);
        assert.equal((await stat(out)).mode & 0o777, 0o600);
        assert.equal((await cli(['vuln', 'report', 'draft', '--product', 'CLI-14', '--incident', incident, '--stage', 'early_warning', '--out', out])).code, 1, 'an existing file is not overwritten');

        const set = await cli(['vuln', 'report', 'set', '--product', 'CLI-14', '--incident', incident, '--malicious-acts-suspected', 'yes', '--member-states', 'de,AT', '--sensitivity', 'TLP:GREEN']);
        assert.equal(set.code, 0, set.stderr);
        assert.match(set.stdout, /member states: +AT, DE \(case\)/);
        assert.equal((await cli(['vuln', 'report', 'set', '--product', 'CLI-14', '--incident', incident])).code, 1, 'nothing to set');
        const submitted = await cli(['vuln', 'report', 'submit', '--product', 'CLI-14', '--incident', incident, '--stage', 'early_warning', '--reference', 'SRP-CLI-1', '--to', 'enisa,csirt:DE']);
        assert.equal(submitted.code, 0, submitted.stderr);
        assert.match(submitted.stdout, /early_warning SRP-CLI-1 recorded/);
        assert.match(submitted.stdout, /early_warning +Art 14\(4\)\(a\) .* submitted .* \(late\)/);
        const retried = await cli(['vuln', 'report', 'submit', '--product', 'CLI-14', '--incident', incident, '--stage', 'early_warning', '--reference', 'SRP-CLI-1', '--to', 'enisa,csirt:DE']);
        assert.match(retried.stdout, /was recorded already/);
        assert.equal((await cli(['vuln', 'due', '--product', 'CLI-14', '--fail-on-overdue'])).code, 0, 'nothing overdue once the early warning is recorded');

        const show = await cli(['vuln', 'report', 'show', '--product', SKU, '--id', VULN]);
        assert.equal(show.code, 0, show.stderr);
        assert.match(show.stdout, /subject: +vulnerability ACME-2026-0001: Command injection/);
        assert.match(show.stdout, /SRP-2026-0001 to enisa \+ csirt:DE/);
        const missing = await cli(['vuln', 'report', 'show', '--product', SKU, '--id', 'NO-SUCH-1']);
        assert.equal(missing.code, 2);
        assert.match(missing.stderr, /REPORT_CASE_NOT_FOUND/);
        assert.equal((await cli(['vuln', 'report', 'show', '--product', SKU])).code, 1, 'no case named');
        const list = await cli(['incident', 'list', '--product', 'CLI-14']);
        assert.match(list.stdout, new RegExp(`${incident} +${aware.replace(/\./g, '\\.')}`));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
