import assert from 'node:assert/strict';
import { test } from 'node:test';
import { duplicateSerials, parseSerialsFile } from './serials-file.ts';

test('one serial per line; blank lines and # comments are skipped', () => {
  assert.deepEqual(parseSerialsFile('\uFEFF# line 7\nSN-1\r\n\n  SN-2  \n'), { ok: true, serials: ['SN-1', 'SN-2'] });
});

test('a device-import CSV is read by its serial column', () => {
  assert.deepEqual(parseSerialsFile('hardware_id,Serial\nhw-1,SN-1\nhw-2,SN-2\n'), {
    ok: true,
    serials: ['SN-1', 'SN-2'],
  });
});

test('duplicates, commas without a header, and empty files are named by line', () => {
  assert.deepEqual(parseSerialsFile('SN-1\nSN-2\nSN-1\nA,B\n'), {
    ok: false,
    problems: [
      'line 3: duplicate serial "SN-1" (first on line 1)',
      'line 4: a comma; a CSV file needs a header row naming "serial"',
    ],
  });
  assert.deepEqual(parseSerialsFile('\n# nothing\n'), { ok: false, problems: ['the file names no serials'] });
  const csv = parseSerialsFile('serial\nSN-1\nSN-1\n');
  assert.equal(csv.ok, false);
});

test('serials given twice on the command line are found', () => {
  assert.deepEqual(duplicateSerials(['A', 'B', 'A', 'C', 'B', 'A']), ['A', 'B']);
  assert.deepEqual(duplicateSerials(['A']), []);
});
