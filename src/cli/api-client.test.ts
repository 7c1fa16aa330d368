import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ApiClient, apiPath } from './api-client.ts';
import { CliError } from './cli-error.ts';
import { listAllDevices } from './commands/device.ts';

// A stand-in for the server, answering only what these tests ask: pages of devices and one refusal.
const seen: { url: string; auth: string | undefined }[] = [];
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  seen.push({ url: req.url ?? '', auth: req.headers.authorization });
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/v1/products/S%2F1/devices') {
    const after = url.searchParams.get('after');
    const page =
      after === null ? { items: [{ serial: 'a' }, { serial: 'b' }], next: 'b' } : { items: [{ serial: 'c' }] };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page));
    return;
  }
  res
    .writeHead(404, { 'content-type': 'application/problem+json' })
    .end(JSON.stringify({ code: 'PRODUCT_NOT_FOUND', title: 'No such product', status: 404 }));
});
let baseUrl = '';

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

test('apiPath percent-encodes interpolated values', () => {
  assert.equal(apiPath`/v1/products/${'a/b c'}/devices/${'?#'}`, '/v1/products/a%2Fb%20c/devices/%3F%23');
});

test('list follows next to the last page, sending the bearer token', async () => {
  seen.length = 0;
  const client = new ApiClient({ baseUrl: baseUrl + '/', token: 'tok' });
  const devices = await listAllDevices(client, 'S/1', 'active');
  assert.deepEqual(
    devices.map((d) => d.serial),
    ['a', 'b', 'c'],
  );
  assert.deepEqual(
    seen.map((s) => s.url),
    ['/v1/products/S%2F1/devices?state=active', '/v1/products/S%2F1/devices?state=active&after=b'],
  );
  assert.ok(seen.every((s) => s.auth === 'Bearer tok'));
});

test('a problem answer becomes a refusal with the code', async () => {
  const client = new ApiClient({ baseUrl, token: 'tok' });
  await assert.rejects(client.getJson('/v1/products/none'), (e: unknown) => {
    assert.ok(e instanceof CliError);
    assert.equal(e.exitCode, 2);
    assert.equal(e.message, 'PRODUCT_NOT_FOUND: No such product');
    return true;
  });
});

test('no answer at all is "unreachable" (exit 3)', async () => {
  const client = new ApiClient({ baseUrl: 'http://127.0.0.1:1', token: 'tok' });
  await assert.rejects(client.getJson('/v1/products'), (e: unknown) => {
    assert.ok(e instanceof CliError);
    assert.equal(e.exitCode, 3);
    assert.equal(e.message, 'cannot reach the trustplane server at http://127.0.0.1:1');
    return true;
  });
});
