import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTtlSeconds } from './ttl.ts';

test('ttl units become seconds', () => {
  assert.equal(parseTtlSeconds('3600s'), 3600);
  assert.equal(parseTtlSeconds('30m'), 1800);
  assert.equal(parseTtlSeconds('8h'), 28_800);
  assert.equal(parseTtlSeconds('1d'), 86_400);
  assert.equal(parseTtlSeconds('2w'), 1_209_600);
  assert.equal(parseTtlSeconds('1h30m'), 5400);
  assert.equal(parseTtlSeconds(' 8H '), 28_800);
});

test('ttl without a unit, with a bad unit, or zero is refused', () => {
  for (const bad of ['', '3600', '8x', 'h', '1.5h', '-1h', '0s', '0h0m', '1h 30m', '99999999999999999999d']) {
    assert.throws(() => parseTtlSeconds(bad), RangeError, bad);
  }
});
