import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Batch } from '../api.types.ts';
import { formatBatch, serialStatusCounts } from './batch-views.ts';

test('serial statuses are counted in a fixed order, zeros included', () => {
  const serials = [
    { serial: 'A', status: 'used' },
    { serial: 'B', status: 'unused' },
    { serial: 'C', status: 'used' },
  ] as const;
  assert.equal(serialStatusCounts(serials), 'unused 1, used 2, expired 0, void 0');
  assert.equal(serialStatusCounts([]), 'unused 0, used 0, expired 0, void 0');
});

test('a batch shows its id and counts on one line each', () => {
  const batch: Batch = {
    id: 'bat_1',
    product: 'GW-1',
    factory: 'line-1',
    validFrom: '2026-05-01T00:00:00.000Z',
    validUntil: '2026-06-01T00:00:00.000Z',
    state: 'open',
    createdBy: 'admin',
    createdAt: '2026-05-01T00:00:00.000Z',
    counts: { total: 10, used: 3, unused: 7 },
  };
  const text = formatBatch(batch);
  assert.match(text, /^batch:\s+bat_1$/m);
  assert.match(text, /^tokens:\s+10 \(used 3, unused 7\)$/m);
  assert.match(text, /^closed:\s+-$/m);
});
