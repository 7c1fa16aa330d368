/**
 * EST (RFC 7030) as the bytes on the wire, read over a bare `node:tls` socket: header names
 * exactly as sent, because deployed C clients (libest, the RFC 7030 reference client) match them
 * case-sensitively; libest's two-step `simpleenroll` (no credentials, then HTTP Basic after a 401
 * it can parse); and 405 with `Allow` for a method a path does not take.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeCsr } from '../src/testkit/csr.ts';
import { assertCanonicalWire, basicAuthorization, RawHttpConnection, rawRequest, type RawAnswer } from '../src/testkit/raw-http.ts';
import { databaseTargets } from './support/databases.ts';
import { certificatesFromCertsOnly } from './support/est-client.ts';
import { takeSnapshot } from './support/state-snapshot.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const supportUntil = `${new Date().getUTCFullYear() + 5}-12-31`;
const est = '/.well-known/est/WIRE';
const certsOnly = 'Content-Type: application/pkcs7-mime; smime-type=certs-only';

/** The answer's header lines, sorted, without those that change per answer or connection (Date, Content-Length, Keep-Alive). */
function stableLines(answer: RawAnswer): string[] {
  return answer.headerLines.filter((l) => !/^(Date|Content-Length|Keep-Alive|Connection):/.test(l)).sort();
}

/** Every name canonical, Content-Length (as spelt) equal to the body's length, and a Date. */
function assertWire(answer: RawAnswer): void {
  assertCanonicalWire(answer);
  assert.match(answer.header('Date') ?? '', /GMT$/);
}

const basic = basicAuthorization;

for (const target of databaseTargets()) {
  describe(`EST on the wire, as a case-sensitive C client reads it (${target.name})`, () => {
    let server: TestServer;
    let port: number;
    let tokens: Map<string, string>;

    const connect = (client?: { cert: string; key: string }) => RawHttpConnection.tls(port, { ca: server.rootPem, ...client });
    const pkcs10: [string, string][] = [['Content-Type', 'application/pkcs10']];
    // CN = the serial: what the CA does with another CN is not what this suite is about.
    const csrBody = (serial: string) => Buffer.from(makeCsr('ecdsa-p256', { commonName: serial }).der).toString('base64');

    before(async () => {
      server = await startTestServer({ target, est: true });
      port = Number(new URL(server.estUrl!).port);
      await server.createProduct({ sku: 'WIRE', name: 'wire', craClass: 'default', supportUntil, keyAlgorithm: 'ecdsa-p256', serverKeygen: true });
      ({ tokens } = await server.createBatch('WIRE', { serials: ['W1', 'W2'] }));
    });
    after(() => server?.destroy());

    it('cacerts (RFC 7030 §4.1.3) and csrattrs (§4.5.2): canonical names, HEAD alike, on one kept-alive connection', async () => {
      const conn = await connect();
      try {
        const cacerts = await conn.exchange(rawRequest('GET', `${est}/cacerts`));
        assert.equal(cacerts.statusLine, 'HTTP/1.1 200 OK');
        assertWire(cacerts);
        assert.deepEqual(stableLines(cacerts), ['Content-Transfer-Encoding: base64', certsOnly]);
        assert.equal(certificatesFromCertsOnly(cacerts.body.toString()).length, 2);

        const head = await conn.exchange(rawRequest('HEAD', `${est}/cacerts`), { head: true });
        assert.equal(head.status, 200);
        assert.deepEqual(stableLines(head), stableLines(cacerts));
        assert.equal(head.header('Content-Length'), cacerts.header('Content-Length'));

        const attrs = await conn.exchange(rawRequest('GET', `${est}/csrattrs`));
        assert.equal(attrs.status, 200);
        assertWire(attrs);
        assert.deepEqual(stableLines(attrs), ['Content-Transfer-Encoding: base64', 'Content-Type: application/csrattrs']);
        assert.equal(conn.closed, false);
      } finally {
        conn.close();
      }
    });

    it('simpleenroll in two steps (RFC 7030 §3.2.3): a 401 that spends nothing, then HTTP Basic on the same connection', async () => {
      const body = csrBody('W1');
      const conn = await connect();
      try {
        const before = await takeSnapshot(server);
        const first = await conn.exchange(rawRequest('POST', `${est}/simpleenroll`, pkcs10, body));
        assert.equal(first.statusLine, 'HTTP/1.1 401 Unauthorized');
        assertWire(first);
        // RFC 9110 §11.6.1: the challenge a client parses to learn that Basic is accepted, and for which realm.
        assert.match(first.header('WWW-Authenticate') ?? '', /^Basic realm="[^"]+"$/);
        assert.equal(first.header('Content-Type'), 'application/problem+json; charset=utf-8');
        assert.equal(JSON.parse(first.body.toString()).code, 'EST_AUTHENTICATION_REQUIRED');
        // Nothing spent: no event, no certificate, the token unused, the device still registered.
        assert.deepEqual(await takeSnapshot(server), before);
        assert.equal((await server.api('GET', '/v1/products/WIRE/devices/W1')).body.state, 'registered');

        const second = await conn.exchange(rawRequest('POST', `${est}/simpleenroll`, [...pkcs10, basic('W1', tokens.get('W1')!)], body));
        assert.equal(second.statusLine, 'HTTP/1.1 200 OK', second.body.toString());
        assertWire(second);
        assert.deepEqual(stableLines(second), ['Cache-Control: no-store', 'Content-Transfer-Encoding: base64', certsOnly]);
        const [cert] = certificatesFromCertsOnly(second.body.toString());
        assert.ok(cert);
        assert.equal((await server.api('GET', '/v1/products/WIRE/devices/W1')).body.state, 'active');
        assert.equal(conn.closed, false, 'the client may retry on the connection that answered 401');
      } finally {
        conn.close();
      }
    });

    it('simplereenroll (§4.2.2) and renewal-info with the device certificate: canonical names, Retry-After', async () => {
      // W3 enrolls first, so this case does not depend on the one above.
      const key = makeCsr('ecdsa-p256', { commonName: 'W3' });
      const conn0 = await connect();
      const fresh = await server.createBatch('WIRE', { serials: ['W3'] });
      const enrolled = await conn0.exchange(
        rawRequest('POST', `${est}/simpleenroll`, [...pkcs10, basic('W3', fresh.tokens.get('W3')!)], Buffer.from(key.der).toString('base64')),
      );
      conn0.close();
      assert.equal(enrolled.status, 200, enrolled.body.toString());
      const device = { cert: certificatesFromCertsOnly(enrolled.body.toString())[0]!, key: key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string };

      const conn = await connect(device);
      try {
        const info = await conn.exchange(rawRequest('GET', `${est}/renewal-info`));
        assert.equal(info.status, 200, info.body.toString());
        assertWire(info);
        assert.equal(info.header('Retry-After'), '21600');
        assert.equal(info.header('Content-Type'), 'application/json; charset=utf-8');

        const renewed = await conn.exchange(rawRequest('POST', `${est}/simplereenroll`, pkcs10, Buffer.from(makeCsr('ecdsa-p256', { key, commonName: 'W3' }).der).toString('base64')));
        assert.equal(renewed.statusLine, 'HTTP/1.1 200 OK', renewed.body.toString());
        assertWire(renewed);
        assert.deepEqual(stableLines(renewed), ['Cache-Control: no-store', 'Content-Transfer-Encoding: base64', certsOnly]);
      } finally {
        conn.close();
      }
    });

    it('serverkeygen (§4.4.2): multipart/mixed, and each part with canonical names', async () => {
      const conn = await connect();
      try {
        const answer = await conn.exchange(rawRequest('POST', `${est}/serverkeygen`, [...pkcs10, basic('W2', tokens.get('W2')!)], csrBody('W2')));
        assert.equal(answer.statusLine, 'HTTP/1.1 200 OK', answer.body.toString());
        assertWire(answer);
        const boundary = /^multipart\/mixed; boundary=(est-[0-9a-f]+)$/.exec(answer.header('Content-Type') ?? '')?.[1];
        assert.ok(boundary, answer.headerLines.join('\n'));
        assert.equal(answer.header('Cache-Control'), 'no-store');
        const partHeads = answer.body
          .toString()
          .split(`--${boundary}`)
          .slice(1, -1)
          .map((part) => part.split('\r\n\r\n')[0]!.trim());
        assert.deepEqual(partHeads, [
          'Content-Type: application/pkcs8\r\nContent-Transfer-Encoding: base64',
          `${certsOnly}\r\nContent-Transfer-Encoding: base64`,
        ]);
      } finally {
        conn.close();
      }
    });

    it('a method a path does not take is 405 with Allow (RFC 9110 §15.5.6); an unknown path stays 404', async () => {
      const conn = await connect();
      try {
        const getEnroll = await conn.exchange(rawRequest('GET', `${est}/simpleenroll`));
        assert.equal(getEnroll.statusLine, 'HTTP/1.1 405 Method Not Allowed');
        assertWire(getEnroll);
        assert.equal(getEnroll.header('Allow'), 'POST');
        assert.equal(getEnroll.header('Content-Type'), 'application/problem+json; charset=utf-8');
        assert.equal(JSON.parse(getEnroll.body.toString()).code, 'METHOD_NOT_ALLOWED');

        const postCacerts = await conn.exchange(rawRequest('POST', `${est}/cacerts?x=1`, pkcs10, csrBody('W9')));
        assert.equal(postCacerts.status, 405);
        assert.equal(postCacerts.header('Allow'), 'GET, HEAD');

        const unknown = await conn.exchange(rawRequest('POST', `${est}/fullcmc`, pkcs10, csrBody('W9')));
        assert.equal(unknown.status, 404);
        assert.equal(unknown.header('Allow'), undefined);
        assert.equal(JSON.parse(unknown.body.toString()).code, 'NOT_FOUND');
      } finally {
        conn.close();
      }
    });
  });
}
