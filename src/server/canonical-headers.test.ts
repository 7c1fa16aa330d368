import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { lowerCaseNames, RawHttpConnection, rawRequest } from '../testkit/raw-http.ts';
import { canonicalHeaderName, CanonicalHeaderResponse } from './canonical-headers.ts';

describe('canonicalHeaderName', () => {
  it('capitalises each word, and knows the irregular names', () => {
    assert.equal(canonicalHeaderName('content-type'), 'Content-Type');
    assert.equal(canonicalHeaderName('content-transfer-encoding'), 'Content-Transfer-Encoding');
    assert.equal(canonicalHeaderName('RETRY-AFTER'), 'Retry-After');
    assert.equal(canonicalHeaderName('www-authenticate'), 'WWW-Authenticate');
    assert.equal(canonicalHeaderName('etag'), 'ETag');
    assert.equal(canonicalHeaderName('x-request-id'), 'X-Request-Id');
    assert.equal(canonicalHeaderName('allow'), 'Allow');
  });
});

describe('CanonicalHeaderResponse on a node:http server', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer({ ServerResponse: CanonicalHeaderResponse }, (req, res) => {
      if (req.url === '/chunked') {
        // setHeader, then a body of unknown length: Node frames it in chunks.
        res.setHeader('content-type', 'text/plain');
        res.appendHeader('x-trace', 'a');
        res.write('one,');
        res.end('two');
        return;
      }
      if (req.url === '/reason') {
        res.writeHead(401, 'Unauthorized', ['www-authenticate', 'Basic realm="r"', 'content-length', '0']);
        res.end();
        return;
      }
      // Fastify's way: every name lower-case, in one object handed to writeHead.
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5', 'cache-control': 'no-store', etag: '"x"' });
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('writes canonical names for writeHead objects, setHeader, appendHeader and flat arrays, on one kept-alive connection', async () => {
    const conn = await RawHttpConnection.tcp(port);
    try {
      const plain = await conn.exchange(rawRequest('GET', '/'));
      assert.equal(plain.status, 200);
      assert.equal(plain.header('Content-Type'), 'text/plain');
      assert.equal(plain.header('Content-Length'), '5');
      assert.equal(plain.header('Cache-Control'), 'no-store');
      assert.equal(plain.header('ETag'), '"x"');
      assert.equal(plain.header('Connection'), 'keep-alive');
      assert.equal(plain.body.toString(), 'hello');

      const chunked = await conn.exchange(rawRequest('GET', '/chunked'));
      assert.ok(chunked.chunked, chunked.headerLines.join('\n'));
      assert.equal(chunked.header('Transfer-Encoding'), 'chunked');
      assert.equal(chunked.header('Content-Type'), 'text/plain');
      assert.equal(chunked.header('X-Trace'), 'a');
      assert.equal(chunked.body.toString(), 'one,two');

      const head = await conn.exchange(rawRequest('HEAD', '/'), { head: true });
      assert.equal(head.status, 200);
      assert.equal(head.header('Content-Length'), '5');
      assert.equal(head.body.length, 0);

      const reason = await conn.exchange(rawRequest('GET', '/reason'));
      assert.equal(reason.statusLine, 'HTTP/1.1 401 Unauthorized');
      assert.equal(reason.header('WWW-Authenticate'), 'Basic realm="r"');

      for (const answer of [plain, chunked, head, reason]) assert.deepEqual(lowerCaseNames(answer.headerLines), []);
      assert.equal(conn.closed, false, 'four answers on one connection');
    } finally {
      conn.close();
    }
  });
});

