import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { entryLeafHash, ledgerLeaf, type LedgerEntry } from './leaf.ts';

const entry = (details: Record<string, unknown>): LedgerEntry => ({
  seq: 7,
  at: new Date('2026-01-02T03:04:05.678Z'),
  actor: 'alice (admin, tok_1)',
  action: 'device.revoked',
  subjectType: 'device',
  subjectId: 'dev_1',
  details,
});

const text = (e: LedgerEntry): string => new TextDecoder().decode(ledgerLeaf(e));

test('the leaf is the event as JCS: members sorted, no whitespace, the time in ISO 8601 UTC with ms', () => {
  assert.equal(
    text(entry({ reason: 'keyCompromise', b: [1, 2], a: { z: true, y: null } })),
    '{"action":"device.revoked","actor":"alice (admin, tok_1)","at":"2026-01-02T03:04:05.678Z",' +
      '"details":{"a":{"y":null,"z":true},"b":[1,2],"reason":"keyCompromise"},"seq":7,"subjectId":"dev_1","subjectType":"device"}',
  );
});

test('RFC 8785 §3.2.3 sample: numbers and strings serialised as JCS requires', () => {
  const details = {
    numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
    string: '\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/',
    literals: [null, true, false],
  };
  const expected =
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}';
  assert.ok(text(entry(details)).includes(`"details":${expected},`), text(entry(details)));
});

test('RFC 8785 §3.2.3: members sort by UTF-16 code units, and the output is UTF-8', () => {
  // The property-sorting example of RFC 8785 §3.2.3, with the order it gives.
  const details = {
    '\u20ac': 'Euro Sign',
    '\r': 'Carriage Return',
    '\ufb33': 'Hebrew Letter Dalet With Dagesh',
    '1': 'One',
    '\ud83d\ude00': 'Emoji: Grinning Face',
    '\u0080': 'Control',
    '\u00f6': 'Latin Small Letter O With Diaeresis',
  };
  const values = [...text(entry(details)).matchAll(/":"([A-Z][^"]*)"/g)].map((m) => m[1]);
  assert.deepEqual(values.slice(-7), [
    'Carriage Return',
    'One',
    'Control',
    'Latin Small Letter O With Diaeresis',
    'Euro Sign',
    'Emoji: Grinning Face',
    'Hebrew Letter Dalet With Dagesh',
  ]);
  assert.ok(
    Buffer.from(ledgerLeaf(entry({ s: '€' }))).includes(Buffer.from('"s":"\xe2\x82\xac"', 'latin1')),
    'U+20AC as UTF-8, not escaped',
  );
});

test('the leaf hash is SHA-256(0x00 || leaf) (RFC 9162 §2.1.1) and depends on every field', () => {
  const e = entry({ n: 1 });
  const expected = createHash('sha256').update(Uint8Array.of(0)).update(ledgerLeaf(e)).digest();
  assert.deepEqual(Buffer.from(entryLeafHash(e)), expected);
  const variants: LedgerEntry[] = [
    { ...e, seq: 8 },
    { ...e, at: new Date(e.at.getTime() + 1) },
    { ...e, actor: 'bob' },
    { ...e, action: 'device.suspended' },
    { ...e, subjectType: 'product' },
    { ...e, subjectId: 'dev_2' },
    { ...e, details: { n: 2 } },
  ];
  for (const v of variants) assert.notDeepEqual(entryLeafHash(v), entryLeafHash(e));
});

test('a value with no JSON form is refused, not hashed as something else', () => {
  assert.throws(() => ledgerLeaf(entry({ x: Number.NaN })), { code: 'INTERNAL' });
  assert.throws(() => ledgerLeaf(entry({ x: '\ud800' })), { code: 'INTERNAL' });
});
