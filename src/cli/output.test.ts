import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatKeyValues, formatTable } from './output.ts';

test('tables align columns and show missing values as -', () => {
  const rows = [
    { serial: 'SN-1', state: 'active' },
    { serial: 'SN-10000', state: undefined },
  ];
  const text = formatTable(rows, [
    { header: 'serial', value: (r) => r.serial },
    { header: 'state', value: (r) => r.state },
  ]);
  assert.equal(text, 'SERIAL    STATE\nSN-1      active\nSN-10000  -\n');
});

test('key-values align on the colon', () => {
  assert.equal(
    formatKeyValues([
      ['sku', 'S'],
      ['renewal due', false],
    ]),
    'sku:         S\nrenewal due: false\n',
  );
});
