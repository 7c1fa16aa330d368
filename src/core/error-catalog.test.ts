// docs/reference/errors.md and the catalog are kept equal (as fastify does for its errors).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { errorCatalog } from './error-catalog.ts';

test('docs/reference/errors.md lists every code with its status, and nothing else', () => {
  const doc = readFileSync(new URL('../../docs/reference/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `([A-Z0-9_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
  assert.deepEqual(
    rows,
    Object.entries(errorCatalog).map(([code, e]) => [code, e.status]),
  );
});
