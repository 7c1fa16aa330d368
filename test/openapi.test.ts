// GET /openapi.json describes the /v1 API of docs/design/api.md, with no authentication needed to read it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { databaseTargets } from './support/databases.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

describe('OpenAPI document', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ target: databaseTargets()[0]! });
  });
  after(() => server.destroy());

  it('lists every /v1 route of the API contract, with request schemas', async () => {
    const res = await server.api('GET', '/openapi.json', undefined, null);
    assert.equal(res.status, 200);
    const doc = res.body;
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer' });

    const contract = readFileSync(new URL('../docs/design/api.md', import.meta.url), 'utf8');
    const routes = [...contract.matchAll(/^\| (GET|POST|PUT|PATCH|DELETE) \| (\/v1\/[^ ?|]+)/gm)].map(([, m, p]) => [m!.toLowerCase(), p!]);
    assert.ok(routes.length >= 15);
    for (const [method, path] of routes) {
      const op = doc.paths[path!]?.[method!];
      assert.ok(op, `${method!.toUpperCase()} ${path} is in the OpenAPI document`);
    }
    const enroll = doc.paths['/v1/products/{sku}/devices/{serial}/enroll'].post;
    assert.deepEqual(enroll.requestBody.content['application/json'].schema.required, ['csr']);
    assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith('/pki/')), 'the plain-HTTP PKI endpoints are documented in api.md, not as JSON API');
  });
});
