import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refusalFromAnswer } from '../cli-error.ts';
import { parseDeviceCsv } from '../device-csv.ts';
import { chunkFailureNotes, importChunkRows } from './device-import.ts';

test('a refused chunk names the CSV line of details.row (chunk offset + row + header)', () => {
  const lines = ['serial', ...Array.from({ length: 1200 }, (_, i) => `SN-${i}`)];
  const parsed = parseDeviceCsv(lines.join('\n'));
  assert.ok(parsed.ok);
  const second = parsed.rows.slice(importChunkRows, 2 * importChunkRows);
  const refusal = refusalFromAnswer(
    409,
    'application/problem+json',
    JSON.stringify({ code: 'DEVICE_EXISTS', title: 't', status: 409, details: { row: 3 } }),
  );
  const notes = chunkFailureNotes(refusal, second, 500);
  // row 3 of the second chunk = row 503 of the file = line 503 + 1 (1-based) + 1 (header)
  assert.equal(notes[0], 'the server refused CSV line 505 (serial "SN-503")');
  assert.match(notes[1] ?? '', /^imported 500 devices before this; lines 502-1001/);
});

test('without details.row the chunk range is named', () => {
  const parsed = parseDeviceCsv('serial\nA\nB\n');
  assert.ok(parsed.ok);
  const refusal = refusalFromAnswer(
    403,
    'application/problem+json',
    JSON.stringify({ code: 'FORBIDDEN', status: 403 }),
  );
  assert.equal(chunkFailureNotes(refusal, parsed.rows, 0)[0], 'the server refused the rows on CSV lines 2-3');
});
