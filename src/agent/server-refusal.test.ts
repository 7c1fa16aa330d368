import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refusalFrom, retryAfterSeconds } from './server-refusal.ts';

const now = new Date('2026-01-01T00:00:00Z');

test('RFC 9110 §10.2.3 Retry-After: seconds or an HTTP-date; anything else is ignored', () => {
  assert.equal(retryAfterSeconds({ 'retry-after': '120' }, now), 120);
  assert.equal(retryAfterSeconds({ 'retry-after': 'Thu, 01 Jan 2026 00:01:30 GMT' }, now), 90);
  assert.equal(retryAfterSeconds({ 'retry-after': 'Wed, 31 Dec 2025 00:00:00 GMT' }, now), 0);
  assert.equal(retryAfterSeconds({ 'retry-after': '-5' }, now), undefined);
  assert.equal(retryAfterSeconds({ 'retry-after': 'soon' }, now), undefined);
  assert.equal(retryAfterSeconds({}, now), undefined);
});

test('a problem+json answer gives the server code, its detail, status and Retry-After', () => {
  const e = refusalFrom(
    {
      status: 503,
      headers: { 'content-type': 'application/problem+json', 'retry-after': '7' },
      body: Buffer.from(
        JSON.stringify({ code: 'SERVICE_OVERLOADED', title: 'The service is overloaded; retry later' }),
      ),
    },
    now,
  );
  assert.equal(e.code, 'SERVICE_OVERLOADED');
  assert.equal(e.message, 'The service is overloaded; retry later');
  assert.equal(e.httpStatus, 503);
  assert.equal(e.retryAfterSeconds, 7);
  assert.equal(e.exitCode, 2);
  assert.equal(e.transient, true);
});

test('anything else is named by its status; a 4xx is not transient', () => {
  const e = refusalFrom(
    { status: 401, headers: { 'content-type': 'text/html' }, body: Buffer.from('<h1>no</h1>') },
    now,
  );
  assert.equal(e.code, 'HTTP_401');
  assert.equal(e.transient, false);
  const odd = refusalFrom(
    { status: 400, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"code":"<script>"}') },
    now,
  );
  assert.equal(odd.code, 'HTTP_400');
});
