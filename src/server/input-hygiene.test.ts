import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findUnstorableValue } from './input-hygiene.ts';

describe('findUnstorableValue', () => {
  test('passes what every store holds as sent', () => {
    for (const ok of [{ a: 'ünïcödé 🔐 ‮rtl', b: [1, -0, 1e308, { c: null, d: true }] }, 'plain', 0, null, undefined, []]) assert.equal(findUnstorableValue(ok), undefined);
  });

  test('names where a lone surrogate, a NUL or a non-finite number is', () => {
    assert.deepEqual(findUnstorableValue({ owner: 'a\udfffb' }), { path: '/owner', problem: 'is not well-formed Unicode (a lone surrogate)' });
    assert.deepEqual(findUnstorableValue({ x: [{ y: '\ud800' }] }), { path: '/x/0/y', problem: 'is not well-formed Unicode (a lone surrogate)' });
    assert.deepEqual(findUnstorableValue({ n: 'a\u0000' }), { path: '/n', problem: 'holds a NUL character' });
    assert.deepEqual(findUnstorableValue(JSON.parse('{"limit":1e400}')), { path: '/limit', problem: 'is not a finite number' });
    assert.deepEqual(findUnstorableValue([Number.NaN]), { path: '/0', problem: 'is not a finite number' });
    assert.equal(findUnstorableValue({ ['k\udc00']: 1 })?.problem, 'has a name that is not well-formed Unicode (a lone surrogate)');
    assert.equal(findUnstorableValue('\udfff')?.path, '/');
  });

  test('leaves bytes to their own parser, and survives a deeply nested body', () => {
    assert.equal(findUnstorableValue(Buffer.from([0xed, 0xbf, 0xbf, 0x00])), undefined);
    const deep = JSON.parse(`${'['.repeat(200_000)}"\\udfff"${']'.repeat(200_000)}`) as unknown;
    assert.equal(findUnstorableValue(deep)?.problem, 'is not well-formed Unicode (a lone surrogate)');
  });
});
