import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSerialRange } from './serial-range.ts';

test('a range gives prefix, first and last number, and digit width', () => {
  assert.deepEqual(parseSerialRange('SN-00001..SN-01000'), { prefix: 'SN-', from: 1, to: 1000, width: 5 });
  assert.deepEqual(parseSerialRange('0001..0001'), { prefix: '', from: 1, to: 1, width: 4 });
  assert.deepEqual(parseSerialRange('A.B-7..A.B-9'), { prefix: 'A.B-', from: 7, to: 9, width: 1 });
});

test('digits inside the prefix belong to the prefix only up to the last non-digit', () => {
  assert.deepEqual(parseSerialRange('GW2-0100..GW2-0199'), { prefix: 'GW2-', from: 100, to: 199, width: 4 });
});

test('ends that differ in prefix or width, or are out of order, are refused with the reason', () => {
  const cases: [string, RegExp][] = [
    ['SN-00001..XN-01000', /share the prefix/],
    ['SN-1..SN-1000', /same number of digits/],
    ['SN-0010..SN-0001', /comes after/],
    ['SN-0001-SN-0010', /FIRST\.\.LAST/],
    ['SN-0001..SN-0002..SN-0003', /FIRST\.\.LAST/],
    ['SN-A..SN-B', /does not end in digits/],
    ['..SN-1', /does not end in digits/],
    ['SN-99999999999999999..SN-99999999999999999', /too large/],
  ];
  for (const [text, reason] of cases) assert.throws(() => parseSerialRange(text), reason, text);
});
