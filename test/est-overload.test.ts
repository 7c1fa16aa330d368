/**
 * RFC 7030 §4.2.3 / RFC 9110 §10.2.3: when the issuance queue is full the server answers 503 with
 * Retry-After and writes nothing (the one-time token stays unspent). A queue limit of 0 makes
 * every request "too many", so the refusal is deterministic; the same token works once the
 * server has room (here: a second server on the same database, with the default limit).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeCsr } from '../src/testkit/csr.ts';
import { databaseTargets } from './support/databases.ts';
import { estBody, estRequest } from './support/est-client.ts';
import { expectRefusal } from './support/state-snapshot.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

for (const target of databaseTargets()) {
  describe(`EST under overload (${target.name})`, () => {
    let server: TestServer;
    let token: string;

    before(async () => {
      server = await startTestServer({ target, est: true, issuanceQueueLimit: 0 });
      await server.createProduct({ sku: 'OVL', name: 'o', craClass: 'default', supportUntil: '2040-12-31' });
      token = (await server.createBatch('OVL', { serials: ['O1'] })).tokens.get('O1')!;
    });
    after(async () => {
      await server?.destroy();
    });

    it('answers 503 SERVICE_OVERLOADED with Retry-After, and spends nothing', async () => {
      const call = () => estRequest(`${server.estUrl}/.well-known/est/OVL/simpleenroll`, 'POST', { ca: server.rootPem, basic: { user: 'O1', password: token }, body: estBody(makeCsr('ecdsa-p256', { commonName: 'O1' }).der) });
      await expectRefusal(server, call, 503, 'SERVICE_OVERLOADED');
      const answer = await call();
      assert.match(String(answer.headers['retry-after']), /^[1-9]\d*$/, 'Retry-After in seconds');

      await server.stop();
      const roomy = await startTestServer({ target, est: true, clock: server.clock, reuse: { location: server.location, kek: server.kek, home: server.home } });
      try {
        const retried = await estRequest(`${roomy.estUrl}/.well-known/est/OVL/simpleenroll`, 'POST', { ca: roomy.rootPem, basic: { user: 'O1', password: token }, body: estBody(makeCsr('ecdsa-p256', { commonName: 'O1' }).der) });
        assert.equal(retried.status, 200, 'the unspent token works once there is room');
      } finally {
        await roomy.stop();
      }
    });
  });
}
