import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crlCacheHeaders, ocspCacheHeaders } from './revocation-cache.ts';

const thisUpdate = new Date('2030-06-01T10:00:00Z');
const nextUpdate = new Date('2030-06-02T10:00:00Z');

describe('crlCacheHeaders', () => {
  it('caps max-age at the bound while nextUpdate is far', () => {
    const h = crlCacheHeaders({ thisUpdate, nextUpdate }, new Date('2030-06-01T10:00:05Z'), 300);
    assert.equal(h['cache-control'], 'public, no-transform, must-revalidate, max-age=300');
    assert.equal(h['last-modified'], 'Sat, 01 Jun 2030 10:00:00 GMT');
  });

  it('never reaches past nextUpdate, and is 0 once it has passed', () => {
    assert.match(crlCacheHeaders({ thisUpdate, nextUpdate }, new Date('2030-06-02T09:58:20.500Z'), 300)['cache-control']!, /max-age=99$/);
    assert.match(crlCacheHeaders({ thisUpdate, nextUpdate }, new Date('2030-06-02T10:00:01Z'), 300)['cache-control']!, /max-age=0$/);
    // the record keeps milliseconds; the signed CRL (and so the cache) whole seconds
    assert.match(crlCacheHeaders({ thisUpdate, nextUpdate: new Date('2030-06-02T10:00:00.900Z') }, new Date('2030-06-02T09:59:00.500Z'), 300)['cache-control']!, /max-age=59$/);
  });
});

describe('ocspCacheHeaders (RFC 5019 §6.2)', () => {
  const cache = { thisUpdate: new Date('2030-06-01T10:00:00Z'), nextUpdate: new Date('2030-06-01T11:00:00Z'), etag: '"00ff"' };
  it("Last-Modified = thisUpdate, Expires = nextUpdate, the answer's ETag, max-age up to nextUpdate", () => {
    const h = ocspCacheHeaders({ cache }, new Date('2030-06-01T10:20:00.750Z'));
    assert.deepEqual(h, {
      'last-modified': 'Sat, 01 Jun 2030 10:00:00 GMT',
      expires: 'Sat, 01 Jun 2030 11:00:00 GMT',
      etag: '"00ff"',
      // a pre-produced answer made 20 minutes ago: a cache may keep it only until its nextUpdate
      'cache-control': 'max-age=2399, public, no-transform, must-revalidate',
    });
  });

  it('forbids caching an error answer or one made for a nonce', () => {
    assert.deepEqual(ocspCacheHeaders({}, thisUpdate), { 'cache-control': 'no-store' });
  });
});
