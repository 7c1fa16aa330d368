import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalJson, metadataFileJson } from './canonical-json.ts';

// tuf-js's own canonicaliser (a dependency of @tufjs/models): what devices sign-check against.
const { canonicalize } = createRequire(import.meta.url)('@tufjs/canonical-json') as { canonicalize: (v: unknown) => string };

test('sorts keys, drops whitespace, escapes only quote and backslash (OLPC canonical JSON, TUF 4.1)', () => {
  assert.equal(canonicalJson({ b: [1, true, null], a: 'x"y\\z é\n' }), '{"a":"x\\"y\\\\z é\n","b":[1,true,null]}');
});

test('metadata files are JSON with sorted keys: a PEM newline is escaped there, raw only in the signed bytes', () => {
  const value = { z: 1, a: { pem: 'a\nb', k: [2] } };
  assert.equal(new TextDecoder().decode(metadataFileJson(value)), '{"a":{"k":[2],"pem":"a\\nb"},"z":1}');
  assert.deepEqual(JSON.parse(new TextDecoder().decode(metadataFileJson(value))), value);
});

test('agrees with tuf-js on every JSON value it can carry', () => {
  const safeString = fc.string({ unit: 'grapheme' });
  const value = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, safeString, fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('v')), fc.dictionary(safeString, tie('v'))),
  })).v;
  fc.assert(fc.property(value, (v) => canonicalJson(v) === canonicalize(v)));
});

test('refuses what cannot round-trip: floats, lone surrogates, huge integers', () => {
  for (const bad of [1.5, { a: 'x\udc00' }, ['\ud800'], Number.MAX_SAFE_INTEGER + 2]) {
    assert.throws(() => canonicalJson(bad), { code: 'TUF_METADATA_MALFORMED' });
  }
});
