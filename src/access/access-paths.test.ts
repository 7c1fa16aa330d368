import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY_MS } from '../core/clock.ts';
import { expiryConditionOf, instantOf } from './access-path-input.ts';
import { checkNewAccessPath, defaultReviewDue, findingsOf } from './access-paths.ts';
import { defaultAccessPathPolicy, type AccessPathRecord, type NewAccessPath } from './access-paths.types.ts';

const now = new Date('2027-03-01T12:00:00Z');
const at = (days: number) => new Date(now.getTime() + days * DAY_MS);

const path = (over: Partial<AccessPathRecord>): AccessPathRecord => ({
  id: 'acp_00000000000000000000',
  kind: 'vendor-account',
  name: 'Acme support',
  productId: null,
  productSku: null,
  scope: null,
  description: null,
  owner: 'alice',
  expiresAt: at(30),
  expiryCondition: null,
  reviewDue: at(10),
  source: 'manual',
  systemRef: null,
  registeredBy: 'admin',
  registeredAt: at(-1),
  lastReview: null,
  retired: null,
  ...over,
});

const fresh = (over: Partial<NewAccessPath>): NewAccessPath => ({ ...path({}), ...over });

describe('the report: who is named and why', () => {
  it('names a path without owner, without expiry, with an overdue review; a good one is not named', () => {
    assert.deepEqual(findingsOf(path({}), now), []);
    assert.deepEqual(findingsOf(path({ owner: null }), now), ['no-owner']);
    assert.deepEqual(findingsOf(path({ expiresAt: null }), now), ['no-expiry']);
    assert.deepEqual(findingsOf(path({ expiresAt: null, expiryCondition: 'until the Acme support contract ends' }), now), [], 'a stated condition is an expiry');
    assert.deepEqual(findingsOf(path({ reviewDue: now }), now), ['review-overdue'], 'due now is overdue: the date has come');
    assert.deepEqual(findingsOf(path({ owner: null, expiresAt: null, reviewDue: at(-1) }), now), ['no-owner', 'no-expiry', 'review-overdue']);
  });

  it('a retired path is never named; a system path past its expiry ended by itself; a manual one past its date is', () => {
    assert.deepEqual(findingsOf(path({ owner: null, expiresAt: null, retired: { at: at(-1), by: 'bob', reason: 'closed' } }), now), []);
    assert.deepEqual(findingsOf(path({ source: 'system', systemRef: 'tok_1', expiresAt: at(-1), reviewDue: at(-1) }), now), []);
    assert.deepEqual(findingsOf(path({ expiresAt: at(-1), reviewDue: at(-1) }), now), ['expiry-passed', 'review-overdue']);
  });
});

describe('registration checks', () => {
  it('the default review date is the interval, or the expiry when sooner', () => {
    assert.deepEqual(defaultReviewDue(now, null, defaultAccessPathPolicy), at(90));
    assert.deepEqual(defaultReviewDue(now, at(200), defaultAccessPathPolicy), at(90));
    assert.deepEqual(defaultReviewDue(now, at(5), defaultAccessPathPolicy), at(5));
  });

  it('refuses an expiry or review date in the past, a review beyond the maximum interval, a system path without its reference', () => {
    const refused = (p: NewAccessPath, field: string) =>
      assert.throws(() => checkNewAccessPath(p, now, defaultAccessPathPolicy), (e: any) => e.code === 'VALIDATION_FAILED' && e.details?.field === field);
    refused(fresh({ expiresAt: at(-1) }), 'expiresAt');
    refused(fresh({ reviewDue: now }), 'reviewDue');
    refused(fresh({ reviewDue: at(366) }), 'reviewDue');
    refused(fresh({ name: ' ' }), 'name');
    refused(fresh({ owner: 'a\u0000b' }), 'owner');
    refused(fresh({ kind: 'backdoor' as never }), 'kind');
    assert.throws(() => checkNewAccessPath(fresh({ source: 'system', systemRef: null }), now, defaultAccessPathPolicy), (e: any) => e.code === 'INTERNAL');
    assert.ok(checkNewAccessPath(fresh({ reviewDue: at(365) }), now, defaultAccessPathPolicy));
  });

  it('an expiry condition names an event; words that state no end are standing access and refused as a condition', () => {
    assert.equal(expiryConditionOf('until the support contract with Acme ends'), 'until the support contract with Acme ends');
    for (const none of ['never', 'N/A', 'permanent', 'Until further notice.', 'ongoing', 'tbd', '---', 'none', 'short']) {
      assert.throws(() => expiryConditionOf(none), (e: any) => e.code === 'VALIDATION_FAILED' && e.details.field === 'expiryCondition', none);
    }
  });

  it('dates: RFC 3339 with a zone or a calendar date; a date that does not exist is refused, not moved', () => {
    assert.deepEqual(instantOf('expiresAt', '2027-06-30'), new Date('2027-06-30T00:00:00Z'));
    assert.deepEqual(instantOf('expiresAt', '2027-06-30T10:00:00+02:00'), new Date('2027-06-30T08:00:00Z'));
    for (const bad of ['2027-02-30', '2027-13-01', '2027-06-30T10:00:00', 'tomorrow', 20270630, '']) {
      assert.throws(() => instantOf('expiresAt', bad), (e: any) => e.code === 'VALIDATION_FAILED', String(bad));
    }
  });
});
