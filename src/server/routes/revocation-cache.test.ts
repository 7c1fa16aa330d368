import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { buildOcspErrorResponse } from '../../pki/ocsp/ocsp-response.ts';
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
  const der = new Uint8Array([0x30, 0x82, 0x00, 0x05, 0x0a, 0x01, 0x00, 0xa0, 0x00]); // status successful, then (here empty) responseBytes
  it('Last-Modified = thisUpdate, Expires = nextUpdate, ETag = hex SHA-1, max-age up to nextUpdate', () => {
    const h = ocspCacheHeaders(der, new Date('2030-06-01T10:00:00.750Z'), 3600);
    assert.deepEqual(h, {
      'last-modified': 'Sat, 01 Jun 2030 10:00:00 GMT',
      expires: 'Sat, 01 Jun 2030 11:00:00 GMT',
      etag: `"${createHash('sha1').update(der).digest('hex')}"`,
      // 3599: from 10:00:00.750 to 11:00:00 (the responder truncates both times to the second)
      'cache-control': 'max-age=3599, public, no-transform, must-revalidate',
    });
  });

  it('forbids caching an error answer', () => {
    assert.deepEqual(ocspCacheHeaders(buildOcspErrorResponse('malformedRequest'), thisUpdate, 3600), { 'cache-control': 'no-store' });
  });
});
