import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LifecycleEvent } from '../api.types.ts';
import { formatTable } from '../output.ts';
import { historyColumns, withCoverage } from './device-views.ts';

const event = (seq: number): LifecycleEvent => ({
  seq,
  at: '2026-01-01T00:00:00.000Z',
  actor: 'admin',
  action: 'device.registered',
  subjectType: 'device',
  subjectId: 'd',
  details: {},
});

test('an event is covered when its seq is below the signed tree size', () => {
  const items = withCoverage([event(4), event(5)], 5);
  assert.deepEqual(
    items.map((e) => e.coveredByCheckpoint),
    [true, false],
  );
  const lines = formatTable(items, historyColumns).split('\n');
  assert.match(lines[0]!, /LEDGER$/);
  assert.match(lines[1]!, /signed$/);
  assert.match(lines[2]!, /pending$/);
});

test('no checkpoint to ask: coverage unknown, not "pending"', () => {
  const items = withCoverage([event(0)], undefined);
  assert.equal('coveredByCheckpoint' in items[0]!, false);
  assert.match(formatTable(items, historyColumns).split('\n')[1]!, / -$/);
});
