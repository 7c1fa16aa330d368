import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDeviceCsv } from './device-csv.ts';

function problems(text: string): readonly string[] {
  const r = parseDeviceCsv(text);
  assert.equal(r.ok, false, 'expected the CSV to be refused');
  return r.ok ? [] : r.problems;
}

test('rows carry their file line; hardware_id optional, other columns ignored; quoted spaces kept', () => {
  const r = parseDeviceCsv('\uFEFFbatch,serial,hardware_id\r\nb1,SN-1,aa:bb\n\nb1,SN-2,\nb1," SN-3 ",x\n');
  assert.ok(r.ok);
  assert.deepEqual(r.rows, [
    { line: 2, serial: 'SN-1', hardwareId: 'aa:bb' },
    { line: 4, serial: 'SN-2' },
    { line: 5, serial: ' SN-3 ', hardwareId: 'x' },
  ]);
});

test('hardwareId is accepted as the column name too', () => {
  const r = parseDeviceCsv('serial,hardwareId\nA,h1\n');
  assert.ok(r.ok);
  assert.deepEqual(r.rows, [{ line: 2, serial: 'A', hardwareId: 'h1' }]);
});

test('a missing serial column names the header line', () => {
  assert.deepEqual(problems('sn,hardware_id\nA,1\n'), ['line 1: the header has no "serial" column']);
});

test('empty serials and duplicates are all reported with their lines', () => {
  assert.deepEqual(problems('serial,hardware_id\nA,1\n,2\nB,3\nA,4\n'), [
    'line 3: empty serial',
    'line 5: duplicate serial "A" (first on line 2)',
  ]);
});

test('empty file, header only, and malformed CSV are refused', () => {
  assert.match(problems('')[0] ?? '', /empty/);
  assert.match(problems('serial\n')[0] ?? '', /no device rows/);
  assert.match(problems('serial,hardware_id\nA,1\nB\n')[0] ?? '', /^line 3: /);
  assert.match(problems('serial\n"A\n')[0] ?? '', /^line \d+: .*[Qq]uote/);
});

test('a tags column: labels separated by ;', () => {
  const result = parseDeviceCsv('serial,tags\nA1,pilot; eu\nA2,\n');
  assert.deepEqual(result, { ok: true, rows: [{ line: 2, serial: 'A1', tags: ['pilot', 'eu'] }, { line: 3, serial: 'A2' }] });
});
