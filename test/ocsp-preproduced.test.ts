/**
 * Issue 11: OCSP from pre-produced responses (RFC 6960 §2.4, RFC 5019). What the openssl client
 * checks: answers served from memory and from the store are byte-valid against the chain
 * (`openssl ocsp -respin … -CAfile`); a status change is seen by the very next request, also
 * when requests race the change; a nonce request gets its own signature with the nonce echoed;
 * a restart serves the stored answer. Which path answered is read from the responder's counters.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseTargets } from './support/databases.ts';
import { ocspStatus, splitPem, Workdir } from './support/openssl.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const sku = 'OCSP-PRE';
const supportUntil = `${new Date().getUTCFullYear() + 5}-12-31`;

for (const target of databaseTargets()) {
  describe(`OCSP from pre-produced responses (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;
    let caId = '';

    before(async () => {
      server = await startTestServer({ target });
      work = await Workdir.create('tp-ocsp-pre-');
      await server.createProduct({ sku, name: 'pre-produced OCSP', craClass: 'default', supportUntil });
      for (const name of ['steady', 'racer', 'nonce']) {
        assert.equal((await server.api('POST', `/v1/products/${sku}/devices`, { serial: name })).status, 201);
        const { csrPem } = await work.makeKeyAndCsr(name, 'ecdsa-p256', `/CN=${name}`);
        const enrolled = await server.api('POST', `/v1/products/${sku}/devices/${name}/enroll`, { csr: csrPem });
        assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
        await work.write(`${name}.pem`, enrolled.body.certificate);
        const [issuing, root] = splitPem(enrolled.body.chain as string);
        await work.write('issuing.pem', issuing!);
        await work.write('root.pem', root!);
        // RFC 5019's request: one SHA-1 CertID, no nonce, as openssl makes it
        await work.opensslOk(['ocsp', '-issuer', 'issuing.pem', '-cert', `${name}.pem`, '-no_nonce', '-reqout', `${name}.req`]);
      }
      caId = (await server.tp.product(sku)).issuingCaId;
    });
    after(async () => {
      await server?.destroy();
      await work?.remove();
    });

    async function post(body: Uint8Array, url = server.url): Promise<Buffer> {
      const res = await fetch(`${url}/pki/${caId}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body });
      assert.equal(res.status, 200);
      return Buffer.from(await res.arrayBuffer());
    }

    /** The answer checked by openssl against the chain: signature, CertID match, times; its status. */
    async function check(name: string, answer: Buffer): Promise<{ status: string | undefined; reason: string | undefined }> {
      await work.write(`${name}.resp`, answer);
      const r = await work.openssl(['ocsp', '-respin', `${name}.resp`, '-issuer', 'issuing.pem', '-cert', `${name}.pem`, '-CAfile', 'root.pem', '-resp_text']);
      assert.match(r.output, /^Response verify OK$/m, r.output);
      return ocspStatus(r.output, `${name}.pem`);
    }

    it('the first request makes the answer; the same request again is served from memory, byte for byte, and verifies', async () => {
      const request = await work.read('steady.req');
      const before = { ...server.tp.ocsp.counters };
      const first = await post(request);
      const second = await post(request);
      assert.deepEqual(second, first);
      assert.equal(server.tp.ocsp.counters.produced - before.produced, 1, 'one signature');
      assert.equal(server.tp.ocsp.counters.memory - before.memory, 1, 'the second from memory');
      assert.deepEqual(await check('steady', second), { status: 'good', reason: undefined });
    });

    it('a revocation is seen by the next request, also with requests racing it; the new answer is made once and kept', async () => {
      const request = await work.read('racer.req');
      assert.equal((await check('racer', await post(request))).status, 'good');
      // Requests in flight while the change commits may say either; every one sent after its answer says revoked.
      const racing = Array.from({ length: 20 }, () => post(request));
      const revoked = await server.api('POST', `/v1/products/${sku}/devices/racer/revoke`, { reason: 'keyCompromise' });
      assert.equal(revoked.status, 200);
      await Promise.all(racing);
      for (let i = 0; i < 5; i++) assert.deepEqual(await check('racer', await post(request)), { status: 'revoked', reason: 'keyCompromise' });
      const before = server.tp.ocsp.counters.produced;
      await post(request);
      assert.equal(server.tp.ocsp.counters.produced, before, 'kept: no signature per request');
    });

    it('suspend then reinstate, each followed at once by a request: revoked (certificateHold), then good', async () => {
      const request = await work.read('steady.req');
      assert.equal((await server.api('POST', `/v1/products/${sku}/devices/steady/suspend`, {})).status, 200);
      assert.deepEqual(await check('steady', await post(request)), { status: 'revoked', reason: 'certificateHold' });
      assert.equal((await server.api('POST', `/v1/products/${sku}/devices/steady/reinstate`, {})).status, 200);
      assert.deepEqual(await check('steady', await post(request)), { status: 'good', reason: undefined });
    });

    it('a nonce request (RFC 8954) gets its own signature with the nonce echoed, as the openssl client checks', async () => {
      const before = server.tp.ocsp.counters.fresh;
      const r = await work.openssl(['ocsp', '-issuer', 'issuing.pem', '-cert', 'nonce.pem', '-url', `${server.url}/pki/${caId}/ocsp`, '-CAfile', 'root.pem']);
      assert.equal(r.status, 0, r.output);
      assert.match(r.output, /^Response verify OK$/m);
      assert.doesNotMatch(r.output, /no nonce in response|nonce verify error/i, 'openssl complains of a missing or wrong nonce otherwise');
      assert.equal(ocspStatus(r.output, 'nonce.pem').status, 'good');
      const again = await work.openssl(['ocsp', '-issuer', 'issuing.pem', '-cert', 'nonce.pem', '-url', `${server.url}/pki/${caId}/ocsp`, '-CAfile', 'root.pem']);
      assert.equal(again.status, 0, again.output);
      assert.equal(server.tp.ocsp.counters.fresh - before, 2, 'each nonce request signed for itself');
    });

    it('a restart serves the stored answer: no new signature, the same bytes', async () => {
      const request = await work.read('racer.req');
      const beforeRestart = await post(request);
      await server.stop();
      server = await startTestServer({ target, reuse: { location: server.location, kek: server.kek, home: server.home } });
      const afterRestart = await post(request);
      assert.deepEqual(afterRestart, beforeRestart);
      assert.equal(server.tp.ocsp.counters.stored, 1);
      assert.equal(server.tp.ocsp.counters.produced, 0);
      assert.deepEqual(await check('racer', afterRestart), { status: 'revoked', reason: 'keyCompromise' });
    });

    it('maintenance prunes stored answers once their nextUpdate has passed; the next request makes a new one', async () => {
      const request = await work.read('steady.req');
      await post(request);
      const stored = async (): Promise<number> => Number((await server.tp.database.db.selectFrom('ocsp_responses').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      assert.ok((await stored()) > 0);
      await server.tp.maintain();
      assert.ok((await stored()) > 0, 'fresh answers stay');
      server.clock.advance(2 * 3600_000); // past every answer's nextUpdate (1 h validity)
      await server.tp.maintain();
      assert.equal(await stored(), 0);
      const produced = server.tp.ocsp.counters.produced;
      await post(request); // (its times are the moved clock's: openssl would call them invalid, rightly)
      assert.equal(server.tp.ocsp.counters.produced, produced + 1, 'made again');
      assert.equal(await stored(), 1);
    });
  });
}
