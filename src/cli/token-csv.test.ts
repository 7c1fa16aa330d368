import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { csvField, formatTokensCsv } from './token-csv.ts';

test('the tokens CSV has a header and one row per serial with the expiry', () => {
  const csv = formatTokensCsv(
    'GW-1',
    [
      { serial: 'SN-001', token: 'tpe_aaaa' },
      { serial: 'SN-002', token: 'tpe_bbbb' },
    ],
    '2026-01-31T00:00:00.000Z',
  );
  assert.equal(
    csv,
    'product,serial,token,expires_at\n' +
      'GW-1,SN-001,tpe_aaaa,2026-01-31T00:00:00.000Z\n' +
      'GW-1,SN-002,tpe_bbbb,2026-01-31T00:00:00.000Z\n',
  );
});

test('fields with commas, quotes or line breaks are quoted (RFC 4180 §2.6-2.7)', () => {
  assert.equal(csvField('plain-1'), 'plain-1');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField('cr\r'), '"cr\r"');
});

test('a CSV parser reads back exactly what was written', () => {
  const tokens = [{ serial: 'odd, "serial"\nwith a break', token: 'tpe_x' }];
  const csv = formatTokensCsv('P,1', tokens, 'T');
  assert.deepEqual(parse(csv), [
    ['product', 'serial', 'token', 'expires_at'],
    ['P,1', 'odd, "serial"\nwith a break', 'tpe_x', 'T'],
  ]);
});

test('no tokens: the header alone', () => {
  assert.equal(formatTokensCsv('P', [], 'T'), 'product,serial,token,expires_at\n');
});
