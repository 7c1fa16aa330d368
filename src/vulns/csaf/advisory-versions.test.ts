/** Versions: what counts as a change, the revision dates, and the summaries of what changed. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentSha256, nextRevisionDate, revisionSummary } from './advisory-versions.ts';
import type { CsafDocument } from './csaf.types.ts';

const doc = (status: 'final' | 'interim', version: string, date: string, title = 'T') =>
  ({ document: { title, tracking: { id: 'X', status, version, revision_history: [{ date, number: version, summary: 's' }], initial_release_date: date, current_release_date: date, generator: { engine: { name: 'trustplane', version: '0.1.0' }, date } } }, product_tree: { branches: [] }, vulnerabilities: [] }) as unknown as CsafDocument;

describe('advisory versions', () => {
  it('compares content without the versioned tracking fields', () => {
    assert.equal(contentSha256(doc('final', '1', '2026-01-01T00:00:00Z')), contentSha256(doc('final', '7', '2027-05-05T00:00:00Z')));
    assert.notEqual(contentSha256(doc('final', '1', '2026-01-01T00:00:00Z')), contentSha256(doc('interim', '1', '2026-01-01T00:00:00Z')), 'a status change is a change');
    assert.notEqual(contentSha256(doc('final', '1', '2026-01-01T00:00:00Z')), contentSha256(doc('final', '1', '2026-01-01T00:00:00Z', 'U')));
  });

  it('dates each revision after the one before', () => {
    const previous = { date: new Date('2026-01-01T00:00:00.000Z') } as never;
    assert.equal(nextRevisionDate(new Date('2026-01-02T00:00:00Z'), previous).toISOString(), '2026-01-02T00:00:00.000Z');
    assert.equal(nextRevisionDate(new Date('2026-01-01T00:00:00Z'), previous).toISOString(), '2026-01-01T00:00:00.001Z');
    assert.equal(nextRevisionDate(new Date('2025-01-01T00:00:00Z'), previous).toISOString(), '2026-01-01T00:00:00.001Z', 'a clock set back');
    assert.equal(nextRevisionDate(new Date('2025-01-01T00:00:00Z'), undefined).toISOString(), '2025-01-01T00:00:00.000Z');
  });

  it('summarises what changed', () => {
    assert.equal(revisionSummary(undefined, { A: { '1.0': 'fixed' } }, 'final'), 'Initial version.');
    const before = { statement: { A: { '1.0': 'under investigation', '1.1': 'fixed' }, B: { '1.0': 'fixed' } }, status: 'interim' };
    assert.equal(
      revisionSummary(before, { A: { '1.0': 'known affected, fixed in 1.1', '1.2': 'fixed' }, C: { '1.0': 'under investigation' } }, 'final'),
      'Changed: document status interim → final; A 1.0: under investigation → known affected, fixed in 1.1; A 1.2: not stated → fixed; A 1.1: no longer stated; added C; removed B.',
    );
    assert.equal(revisionSummary(before, before.statement, 'interim'), 'Updated the vulnerability information.');
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`V${i}`, { '1.0': 'fixed' }]));
    assert.match(revisionSummary({ statement: {}, status: 'final' }, many, 'final'), /added V9; and 2 more\.$/);
  });
});
