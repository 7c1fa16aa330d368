import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import {
  collectList,
  isoDate,
  isoInstant,
  nonNegativeInteger,
  positiveInteger,
  serialRange,
  ttlSeconds,
} from './options.ts';

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

test('whole numbers from 0', () => {
  assert.equal(nonNegativeInteger('0'), 0);
  assert.equal(nonNegativeInteger('90'), 90);
  for (const bad of ['-1', '1.5', 'x', '']) assert.throws(() => nonNegativeInteger(bad), InvalidArgumentError, bad);
});

test('instants need a zone; a date alone is midnight UTC', () => {
  assert.equal(isoInstant('2026-05-01'), '2026-05-01T00:00:00.000Z');
  assert.equal(isoInstant('2026-05-01T08:00Z'), '2026-05-01T08:00:00.000Z');
  assert.equal(isoInstant('2026-05-01T08:00:30.5+02:00'), '2026-05-01T06:00:30.500Z');
  for (const bad of ['2026-05-01T08:00', '2026-02-30T00:00Z', '2026-05-01T24:00Z', 'tomorrow', '1714550400', '']) {
    assert.throws(() => isoInstant(bad), InvalidArgumentError, bad);
  }
});

test('range errors become commander usage errors', () => {
  assert.deepEqual(serialRange('SN-01..SN-10'), { prefix: 'SN-', from: 1, to: 10, width: 2 });
  assert.throws(() => serialRange('SN-1..SN-10'), InvalidArgumentError);
});
