// CRA Art 13(8), 13(9), 13(13), 13(19): the support period and the retention dates that follow.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TrustplaneError } from '../core/errors.ts';
import { declaredEnd, fiveYearShortfall, parseDeclaredDate, securityUpdateRetention, technicalDocumentationRetentionUntil } from './cra-dates.ts';

const iso = (d: Date | null) => d?.toISOString() ?? null;

test('a month means its last day (Art 13(19): at least month and year); a date means that day', () => {
  const month = parseDeclaredDate('supportUntil', '2031-12');
  assert.deepEqual([month.precision, iso(month.first), iso(month.last)], ['month', '2031-12-01T00:00:00.000Z', '2031-12-31T23:59:59.000Z']);
  assert.equal(iso(parseDeclaredDate('x', '2028-02').last), '2028-02-29T23:59:59.000Z');
  assert.equal(iso(parseDeclaredDate('x', '2027-02').last), '2027-02-28T23:59:59.000Z');
  const day = parseDeclaredDate('x', '2031-06-15');
  assert.deepEqual([day.precision, iso(day.first), iso(day.last)], ['day', '2031-06-15T00:00:00.000Z', '2031-06-15T23:59:59.000Z']);
  assert.equal(declaredEnd(month.last, 'month'), '2031-12');
  assert.equal(declaredEnd(day.last, 'day'), '2031-06-15');
});

test('anything but a real month or date is refused with VALIDATION_FAILED', () => {
  for (const bad of ['2031-13', '2031-00', '2031-02-30', '2031-2', '31-12', '2031-12-31T00:00:00Z', '2031/12', ' 2031-12', '1969-12', '', '２０３１-１２', 2031, null, ['2031-12']]) {
    assert.throws(() => parseDeclaredDate('supportUntil', bad), (e: unknown) => e instanceof TrustplaneError && e.code === 'VALIDATION_FAILED', String(bad));
  }
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.stringMatching(/^\d{4}-\d{2}(-\d{2})?$/)), (text) => {
      try {
        const d = parseDeclaredDate('x', text);
        assert.equal(declaredEnd(d.last, d.precision), text, 'what was accepted reads back as given');
        assert.ok(d.first.getTime() < d.last.getTime());
      } catch (e) {
        assert.ok(e instanceof TrustplaneError && e.code === 'VALIDATION_FAILED');
      }
    }),
    { seed: 13, numRuns: 2000 },
  );
});

test('Art 13(8): under five years from placing on the market is short; a month of placing counts from its last day', () => {
  const placed = parseDeclaredDate('placedOnMarket', '2026-03');
  assert.equal(iso(fiveYearShortfall(placed, parseDeclaredDate('s', '2031-02').last)), '2031-03-31T23:59:59.000Z');
  assert.equal(fiveYearShortfall(placed, parseDeclaredDate('s', '2031-03').last), null, 'exactly five years is enough');
  assert.equal(iso(fiveYearShortfall(placed, parseDeclaredDate('s', '2031-03-30').last)), '2031-03-31T23:59:59.000Z');
  const day = parseDeclaredDate('placedOnMarket', '2026-03-15');
  assert.equal(fiveYearShortfall(day, parseDeclaredDate('s', '2031-03-15').last), null);
  assert.ok(fiveYearShortfall(day, parseDeclaredDate('s', '2031-03-14').last));
  // as retention.ts counts: 29 February plus five years is 1 March
  assert.equal(iso(fiveYearShortfall(parseDeclaredDate('p', '2028-02-29'), parseDeclaredDate('s', '2033-02').last)), '2033-03-01T23:59:59.000Z');
});

test('Art 13(13): documentation kept ten years after placing on the market, or the support period if longer', () => {
  const placed = parseDeclaredDate('placedOnMarket', '2026-03');
  assert.equal(iso(technicalDocumentationRetentionUntil(placed, parseDeclaredDate('s', '2031-12').last)), '2036-03-31T23:59:59.000Z');
  assert.equal(iso(technicalDocumentationRetentionUntil(placed, parseDeclaredDate('s', '2040-06').last)), '2040-06-30T23:59:59.000Z');
});

test('Art 13(9): a security update issued today, and the last one of the support period, stay available ten years or to its end', () => {
  const end = parseDeclaredDate('s', '2031-12').last;
  const r = securityUpdateRetention(new Date('2027-01-10T12:00:00Z'), end);
  assert.equal(iso(r.issuedNow), '2037-01-10T12:00:00.000Z');
  assert.equal(iso(r.issuedAtSupportEnd), '2041-12-31T23:59:59.000Z');
  const long = securityUpdateRetention(new Date('2027-01-10T12:00:00Z'), parseDeclaredDate('s', '2045-06').last);
  assert.equal(iso(long.issuedNow), '2045-06-30T23:59:59.000Z', 'the rest of the support period, when longer');
});
