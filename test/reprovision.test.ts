/**
 * Issue 10 §3, DESIGN rule 7: revocation is final against what a device holds. A revoked device
 * (here for keyCompromise) cannot re-provision itself with its IDevID, an old batch token, or
 * through /v1: every path refuses it (REPROVISION_NOT_AUTHORISED) and changes nothing. An
 * operator's decision (`device reprovision`, recorded with who and why) allows exactly one
 * enrollment by the chosen path; the history shows the decision, then the device's enrollment.
 * trustplane's own CAs are refused as bootstrap CAs.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../src/core/clock.ts';
import { toPem } from '../src/core/pem.ts';
import { makeCsr } from '../src/testkit/csr.ts';
import { databaseTargets } from './support/databases.ts';
import { certificatesFromCertsOnly, estBody, estRequest, type EstCall } from './support/est-client.ts';
import { Workdir } from './support/openssl.ts';
import { runCli } from './support/serve-process.ts';
import { expectRefusal } from './support/state-snapshot.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

// TLS clients check the listener's certificate against the real time: the fake clock starts now.
const START = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
const SKU = 'RP-1';

for (const target of databaseTargets()) {
  describe(`a revoked device leaves revoked only by an operator's decision (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;
    let tokens: { operator: string; factory: string; auditor: string };
    const idevids = new Map<string, { cert: string; key: string }>();
    let batchTokens: Map<string, string>;

    const post = (op: string, call: Omit<EstCall, 'ca'>) => estRequest(`${server.estUrl}/.well-known/est/${SKU}/${op}`, 'POST', { ca: server.rootPem, ...call });
    const bootstrapEnroll = (serial: string) => post('simpleenroll', { ...idevids.get(serial)!, body: estBody(makeCsr('ecdsa-p256').der) });
    const apiEnroll = (serial: string, token?: string) => server.api('POST', `/v1/products/${SKU}/devices/${serial}/enroll`, { csr: makeCsr('ecdsa-p256').pem }, token);
    const reprovision = (serial: string, body: Record<string, unknown>, token?: string) => server.api('POST', `/v1/products/${SKU}/devices/${serial}/reprovision`, body, token);
    const revoke = async (serial: string) => assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/${serial}/revoke`, { reason: 'keyCompromise' })).status, 200);
    const state = async (serial: string) => (await server.api('GET', `/v1/products/${SKU}/devices/${serial}`)).body.state as string;
    async function history(serial: string): Promise<{ action: string; actor: string; details: Record<string, unknown> }[]> {
      return (await server.api('GET', `/v1/products/${SKU}/devices/${serial}/history`)).body.items;
    }

    before(async () => {
      server = await startTestServer({ target, clock: new FakeClock(START), est: true });
      work = await Workdir.create('tp-reprovision-');
      await server.createProduct({ sku: SKU, name: SKU, craClass: 'default', supportUntil: '2040-12-31' });
      await work.makeManufacturerCa('maker', '/CN=RP Maker CA');
      assert.equal((await server.api('POST', `/v1/products/${SKU}/bootstrap-cas`, { certificate: (await work.read('maker.pem')).toString() })).status, 201);
      const make = async (role: string, owner: string) => (await server.tp.tokens.create({ role, owner, ttlSeconds: 3600, ...(role === 'factory' ? { products: [SKU] } : {}) }, 'test')).secret;
      tokens = { operator: await make('operator', 'olga'), factory: await make('factory', 'line-1'), auditor: await make('auditor', 'audrey') };
      // P1..P4 are born from a batch (line-1) and enrolled with their IDevIDs: each keeps a live, unused batch token.
      ({ tokens: batchTokens } = await server.createBatch(SKU, { serials: ['P1', 'P2', 'P3', 'P4'], validForMs: 5 * 86_400_000 }));
      for (const serial of ['P1', 'P2', 'P3', 'P4']) {
        const idevid = await work.makeIdevid(serial.toLowerCase(), 'maker', serial);
        idevids.set(serial, { cert: idevid.certPem, key: idevid.keyPem });
        assert.equal((await bootstrapEnroll(serial)).status, 200);
        await revoke(serial);
      }
    });
    after(async () => {
      await server?.destroy();
      await work?.remove();
    });

    it('without a decision every path refuses the revoked device and changes nothing: EST bootstrap, EST token, /v1 (admin, factory), a new batch', async () => {
      await expectRefusal(server, () => bootstrapEnroll('P1'), 403, 'REPROVISION_NOT_AUTHORISED', 'its IDevID and a new key');
      await expectRefusal(server, () => post('simpleenroll', { basic: { user: 'P1', password: batchTokens.get('P1')! }, body: estBody(makeCsr('ecdsa-p256').der) }), 403, 'REPROVISION_NOT_AUTHORISED', 'its old batch token');
      await expectRefusal(server, () => apiEnroll('P1'), 403, 'REPROVISION_NOT_AUTHORISED', '/v1 enroll by an admin');
      await expectRefusal(server, () => apiEnroll('P1', tokens.factory), 403, 'REPROVISION_NOT_AUTHORISED', "/v1 enroll by the batch's factory");
      await expectRefusal(server, () => server.api('POST', `/v1/products/${SKU}/batches`, { factory: 'line-1', serials: ['P1'], validUntil: new Date(server.clock.now().getTime() + 3_600_000).toISOString() }), 409, 'BATCH_SERIAL_UNAVAILABLE', 'a batch for it');
      assert.equal(await state('P1'), 'revoked');
      assert.ok(!(await history('P1')).some((e) => e.action === 'device.reprovisioned'));
    });

    it('who may decide: admin or operator, for a revoked device, with a path and a reason', async () => {
      await expectRefusal(server, () => reprovision('P1', { via: 'bootstrap', reason: 'x' }, tokens.auditor), 403, 'FORBIDDEN', 'an auditor');
      await expectRefusal(server, () => reprovision('P1', { via: 'bootstrap', reason: 'x' }, tokens.factory), 403, 'FORBIDDEN', 'a factory');
      await expectRefusal(server, () => reprovision('P1', { via: 'carrier-pigeon', reason: 'x' }), 400, 'VALIDATION_FAILED');
      await expectRefusal(server, () => reprovision('P1', { via: 'bootstrap' }), 400, 'VALIDATION_FAILED', 'no reason');
      await expectRefusal(server, () => reprovision('NOPE', { via: 'bootstrap', reason: 'x' }), 404, 'DEVICE_NOT_FOUND');
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices`, { serial: 'FRESH' })).status, 201);
      await expectRefusal(server, () => reprovision('FRESH', { via: 'bootstrap', reason: 'x' }), 409, 'ILLEGAL_TRANSITION', 'a device that is not revoked');
    });

    it('--via bootstrap: one enrollment with the IDevID (not /v1, not the old token); the history shows the decision, then the enrollment', async () => {
      const decided = await reprovision('P1', { via: 'bootstrap', reason: 'RMA 4711: board replaced' }, tokens.operator);
      assert.equal(decided.status, 200, JSON.stringify(decided.body));
      assert.equal(decided.body.via, 'bootstrap');
      assert.equal(decided.body.token, undefined);
      await expectRefusal(server, () => apiEnroll('P1'), 403, 'REPROVISION_NOT_AUTHORISED', '/v1 when bootstrap was chosen');
      await expectRefusal(server, () => post('simpleenroll', { basic: { user: 'P1', password: batchTokens.get('P1')! }, body: estBody(makeCsr('ecdsa-p256').der) }), 403, 'REPROVISION_NOT_AUTHORISED', 'the old token');
      const enrolled = await bootstrapEnroll('P1');
      assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
      assert.equal(await state('P1'), 'active');

      const events = await history('P1');
      assert.deepEqual(events.map((e) => e.action), ['device.registered', 'device.enrolled', 'device.revoked', 'device.reprovision-authorised', 'device.reprovisioned']);
      const [decision, reprovisioned] = events.slice(-2);
      assert.match(decision!.actor, /^olga \(operator, /);
      assert.equal(decision!.details.reason, 'RMA 4711: board replaced');
      assert.equal(decision!.details.via, 'bootstrap');
      assert.match(reprovisioned!.actor, /^device:RP-1:P1 \(est-bootstrap\)/);

      // Exactly one: revoked again, the spent decision allows nothing.
      await revoke('P1');
      await expectRefusal(server, () => bootstrapEnroll('P1'), 403, 'REPROVISION_NOT_AUTHORISED', 'a second enrollment');
    });

    it('--via token (CLI): a fresh token printed once and stored hashed; it enrolls over EST once; the IDevID and the old token do not', async () => {
      const run = await runCli(['device', 'reprovision', '--product', SKU, '--serial', 'P2', '--via', 'token', '--reason', 'key compromise cleared by PSIRT-12'], {
        env: { TRUSTPLANE_URL: server.url, TRUSTPLANE_TOKEN: tokens.operator, TRUSTPLANE_HOME: '' },
      });
      assert.equal(run.code, 0, run.stderr);
      const token = run.stdout.trim();
      assert.match(token, /^tpe_[A-Za-z0-9_-]{32}$/, 'the token alone on stdout');
      assert.match(run.stderr, /may enroll once by token until/);
      const stored = await server.tp.database.db.selectFrom('enrollment_tokens').select(['token_hash', 'serial']).where('serial', '=', 'P2').execute();
      const hash = createHash('sha256').update(token).digest('hex');
      assert.ok(stored.some((t) => Buffer.from(t.token_hash).toString('hex') === hash), 'its SHA-256 is stored');

      await expectRefusal(server, () => bootstrapEnroll('P2'), 403, 'REPROVISION_NOT_AUTHORISED', 'the IDevID when token was chosen');
      await expectRefusal(server, () => post('simpleenroll', { basic: { user: 'P2', password: batchTokens.get('P2')! }, body: estBody(makeCsr('ecdsa-p256').der) }), 403, 'REPROVISION_NOT_AUTHORISED', 'the old token');
      const enrolled = await post('simpleenroll', { basic: { user: 'P2', password: token }, body: estBody(makeCsr('ecdsa-p256').der) });
      assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
      assert.ok(new X509Certificate(certificatesFromCertsOnly(enrolled.body as string)[0]!).subject.includes('serialNumber=P2'));
      const actions = (await history('P2')).map((e) => e.action);
      assert.deepEqual(actions.slice(-2), ['device.reprovision-authorised', 'device.reprovisioned']);
      await expectRefusal(server, () => post('simpleenroll', { basic: { user: 'P2', password: token }, body: estBody(makeCsr('ecdsa-p256').der) }), 401, 'ENROLLMENT_TOKEN_USED', 'the token twice');
    });

    it('--via api: one /v1 enroll by an admin or operator; a factory cannot use it', async () => {
      assert.equal((await reprovision('P3', { via: 'api', reason: 'refurbished' })).status, 200);
      await expectRefusal(server, () => apiEnroll('P3', tokens.factory), 403, 'REPROVISION_NOT_AUTHORISED', 'a factory');
      await expectRefusal(server, () => bootstrapEnroll('P3'), 403, 'REPROVISION_NOT_AUTHORISED', 'EST when api was chosen');
      const enrolled = await apiEnroll('P3', tokens.operator);
      assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
      const [decision, reprovisioned] = (await history('P3')).slice(-2);
      assert.equal(decision!.action, 'device.reprovision-authorised');
      assert.equal(reprovisioned!.action, 'device.reprovisioned');
      assert.match(reprovisioned!.actor, /^olga \(operator, /);
    });

    it('a decision ends: past its 7 days it allows nothing', async () => {
      assert.equal((await reprovision('P4', { via: 'bootstrap', reason: 'late' })).status, 200);
      const back = server.clock.now();
      try {
        server.clock.advance(7 * 86_400_000 + 1000);
        await expectRefusal(server, () => bootstrapEnroll('P4'), 403, 'REPROVISION_NOT_AUTHORISED', 'after the decision ended');
      } finally {
        server.clock.set(back);
      }
    });

    it("trustplane's own root, issuing CA and OCSP responder are refused as bootstrap CAs", async () => {
      const product = (await server.tp.identity.store.findProductBySku(SKU))!;
      const issuing = (await server.tp.identity.store.findCa(product.issuingCaId))!;
      const responder = await server.tp.identity.store.findCurrentOcspResponder(product.issuingCaId);
      const own = [server.rootPem, toPem(issuing.certificate, 'CERTIFICATE'), ...(responder ? [toPem(responder.certificate, 'CERTIFICATE')] : [])];
      for (const certificate of own) {
        await expectRefusal(server, () => server.api('POST', `/v1/products/${SKU}/bootstrap-cas`, { certificate }), 422, 'BOOTSTRAP_CA_INVALID', new X509Certificate(certificate).subject);
      }
      const answer = await server.api('POST', `/v1/products/${SKU}/bootstrap-cas`, { certificate: toPem(issuing.certificate, 'CERTIFICATE') });
      assert.match(answer.body.detail, /own CAs/);
    });
  });
}
