import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrustplaneError } from '../core/errors.ts';
import { checkDeletable, securityRetentionUntil } from './retention.ts';
import type { ReleaseRecord } from './release.types.ts';

test('retention: ten years after issue, or the rest of the support period if longer (CRA Art 13(9))', () => {
  const issued = new Date('2027-03-15T10:00:00Z');
  assert.equal(securityRetentionUntil(issued, new Date('2030-12-31T23:59:59Z')).toISOString(), '2037-03-15T10:00:00.000Z');
  assert.equal(securityRetentionUntil(issued, new Date('2040-06-30T23:59:59Z')).toISOString(), '2040-06-30T23:59:59.000Z');
  // a leap day has no tenth anniversary of its own: the day after
  assert.equal(securityRetentionUntil(new Date('2028-02-29T00:00:00Z'), new Date('2029-01-01T00:00:00Z')).toISOString(), '2038-03-01T00:00:00.000Z');
});

test('a retained release cannot be deleted before its date, and the refusal names it', () => {
  const release = { version: '2.4.1', state: 'withdrawn', retainUntil: new Date('2037-03-15T10:00:00Z'), targetName: null } as ReleaseRecord;
  assert.throws(
    () => checkDeletable(release, new Date('2030-01-01T00:00:00Z')),
    (e: unknown) => e instanceof TrustplaneError && e.code === 'RELEASE_RETAINED' && e.message.includes('2037-03-15'),
  );
  assert.doesNotThrow(() => checkDeletable(release, new Date('2037-03-15T10:00:00Z')));
  assert.doesNotThrow(() => checkDeletable({ ...release, retainUntil: null }, new Date('2030-01-01T00:00:00Z')));
});

test('a published release is in the TUF repository: not deleted, whatever its type, withdrawn or not', () => {
  const published = { version: '2.5.0', state: 'published', retainUntil: null, targetName: 'firmware/2.5.0/fw.bin' } as ReleaseRecord;
  assert.throws(() => checkDeletable(published, new Date()), (e: unknown) => e instanceof TrustplaneError && e.code === 'RELEASE_IN_REPOSITORY');
  assert.throws(() => checkDeletable({ ...published, state: 'withdrawn' }, new Date()), (e: unknown) => e instanceof TrustplaneError && e.code === 'RELEASE_IN_REPOSITORY');
  assert.doesNotThrow(() => checkDeletable({ ...published, state: 'awaiting-approval', targetName: null }, new Date()));
  assert.doesNotThrow(() => checkDeletable({ ...published, state: 'withdrawn', targetName: null }, new Date()), 'withdrawn before it was ever published');
});
