import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { collectList, isoDate, positiveInteger, ttlSeconds } from './options.ts';

test('dates must be real YYYY-MM-DD days', () => {
  assert.equal(isoDate('2035-12-31'), '2035-12-31');
  for (const bad of ['2035-13-01', '2035-02-30', '31/12/2035', '2035-12-31T00:00:00Z', '']) {
    assert.throws(() => isoDate(bad), InvalidArgumentError, bad);
  }
});

test('positive whole numbers only', () => {
  assert.equal(positiveInteger('365'), 365);
  for (const bad of ['0', '-1', '1.5', '1e3', 'ten', ''])
    assert.throws(() => positiveInteger(bad), InvalidArgumentError, bad);
});

test('ttl errors become commander usage errors', () => {
  assert.equal(ttlSeconds('8h'), 28_800);
  assert.throws(() => ttlSeconds('8 hours'), InvalidArgumentError);
});

test('product lists collect repeats and commas', () => {
  assert.deepEqual(collectList('c', collectList('a, b', undefined)), ['a', 'b', 'c']);
});
