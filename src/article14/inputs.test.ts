/**
 * The parsers of what a person sends for Article 14 reports (times, Member States, recipients),
 * fed any value (fast-check, fixed seed): each answers a checked value or VALIDATION_FAILED, never
 * another error; plus the known forms and the hints.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TrustplaneError } from '../core/errors.ts';
import { checkedPastInstant } from './instants.ts';
import { checkedMemberStates, euMemberStates, memberStates, parseMadeAvailableIn } from './member-states.ts';
import { checkedRecipients, recipientWarnings } from './recipients.ts';

const seed = 20_260_911;
const now = new Date('2026-12-01T12:00:00Z');

/** Runs `f`; a refusal must be VALIDATION_FAILED. */
function refusedOr<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    assert.ok(e instanceof TrustplaneError, `not a TrustplaneError: ${String(e)}`);
    assert.equal(e.code, 'VALIDATION_FAILED');
    return undefined;
  }
}

describe('times a person states', () => {
  it('RFC 3339 with a zone, a real date, not after now', () => {
    assert.equal(checkedPastInstant('2026-11-30T20:00:00+01:00', 'at', now).toISOString(), '2026-11-30T19:00:00.000Z');
    assert.equal(checkedPastInstant('2026-12-01T12:00:00Z', 'at', now).toISOString(), now.toISOString(), 'now itself');
    for (const bad of ['2026-12-01T12:00:00.001Z', '2026-02-30T10:00:00Z', '2026-11-30T20:00:00', '2026-11-30', '2026-11-30T24:00:00Z', '2026-11-30T20:00:60Z', 'yesterday', 1_700_000_000_000, null]) {
      assert.equal(refusedOr(() => checkedPastInstant(bad, 'at', now)), undefined, String(bad));
    }
  });
  it('any value: a time not after now, or VALIDATION_FAILED', () => {
    const texts = fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom('2026-02-29T00:00:00Z', '2028-02-29T00:00:00Z', '0000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z'));
    fc.assert(
      fc.property(fc.oneof(texts, fc.anything()), (value) => {
        const at = refusedOr(() => checkedPastInstant(value, 'at', now));
        if (at) assert.ok(at.getTime() <= now.getTime() && !Number.isNaN(at.getTime()));
      }),
      { seed, numRuns: 3000 },
    );
  });
});

describe('Member States', () => {
  it("by the EU's codes: upper-cased, each once, sorted; ISO's GR is Greece, EL; the EEA EFTA States too; UK refused with a hint", () => {
    assert.deepEqual(checkedMemberStates(['fr', 'DE', ' de ']), ['DE', 'FR']);
    assert.deepEqual(checkedMemberStates([]), []);
    assert.deepEqual(checkedMemberStates(['GR', 'el']), ['EL']);
    assert.deepEqual(checkedMemberStates(['NO', 'IS', 'LI']), ['IS', 'LI', 'NO']);
    assert.equal(euMemberStates.length, 27);
    assert.ok(!(euMemberStates as readonly string[]).includes('GR'));
    assert.throws(() => checkedMemberStates(['UK']), /not an EU or EEA Member State/);
    assert.throws(() => checkedMemberStates(['XK']), /"XK" is not an EU or EEA Member State code/);
    assert.throws(() => checkedMemberStates([...memberStates, 'DE']), /list of EU or EEA Member State codes/);
  });
  it('any value: Member States or VALIDATION_FAILED', () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(fc.oneof(fc.constantFrom(...memberStates, 'de', 'gr', 'xx', ''), fc.string())), fc.anything()), (value) => {
        const states = refusedOr(() => checkedMemberStates(value));
        if (states) assert.ok(states.every((s) => (memberStates as readonly string[]).includes(s)));
      }),
      { seed, numRuns: 2000 },
    );
  });
});

describe("where the product is made available (its CRA profile's memberStates)", () => {
  it('all-eu, or at least one Member State, each once (GR and EL are one), stored sorted by the EU codes', () => {
    assert.equal(parseMadeAvailableIn('all-eu'), 'all-eu');
    assert.deepEqual(parseMadeAvailableIn(['fr', ' DE', 'gr']), ['DE', 'EL', 'FR']);
    assert.throws(() => parseMadeAvailableIn([]), /"all-eu" or a list of 1 to 30/, 'empty');
    assert.throws(() => parseMadeAvailableIn(['DE', 'de']), /DE is listed twice/);
    assert.throws(() => parseMadeAvailableIn(['GR', 'EL']), /EL is listed twice \(GR and EL are both Greece\)/);
    assert.throws(() => parseMadeAvailableIn(['DE', 'US']), /"US" is not an EU or EEA Member State code/);
    assert.throws(() => parseMadeAvailableIn(['GB']), /not an EU or EEA Member State\)/);
    assert.throws(() => parseMadeAvailableIn('ALL-EU'), /"all-eu" or a list/);
    assert.throws(() => parseMadeAvailableIn('DE,FR'), /"all-eu" or a list/, 'a list, not a comma-separated string');
    assert.throws(() => parseMadeAvailableIn(null), /"all-eu" or a list/);
  });
  it('any value: all-eu, distinct Member States, or VALIDATION_FAILED', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant('all-eu'), fc.array(fc.oneof(fc.constantFrom(...memberStates, 'de', 'gr', 'xx', ''), fc.string()), { maxLength: 40 }), fc.anything()), (value) => {
        const states = refusedOr(() => parseMadeAvailableIn(value));
        if (states === undefined || states === 'all-eu') return;
        assert.ok(states.length > 0 && new Set(states).size === states.length);
        assert.ok(states.every((s) => (memberStates as readonly string[]).includes(s)));
      }),
      { seed, numRuns: 2000 },
    );
  });
});

describe('recipients', () => {
  it('enisa and csirt:<Member State> in any case, free text kept, each once', () => {
    assert.deepEqual(checkedRecipients(['ENISA', 'csirt:de', 'CSIRT:DE', 'the national CSIRT by phone']), ['enisa', 'csirt:DE', 'the national CSIRT by phone']);
    assert.throws(() => checkedRecipients(['csirt:US']), /csirt: takes an EU Member State code/);
    assert.deepEqual(checkedRecipients(['csirt:gr', 'csirt:EL']), ['csirt:EL'], "Greece: ISO's GR is the EU's EL");
    assert.throws(() => checkedRecipients([]), /1 to 10 recipients/);
    assert.deepEqual(recipientWarnings(['enisa', 'csirt:DE']), []);
    assert.equal(recipientWarnings(['other']).length, 2);
  });
  it('any value: recipients or VALIDATION_FAILED', () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(fc.oneof(fc.constantFrom('enisa', 'csirt:FR', 'csirt:', 'csirt:xx', ' '), fc.string({ maxLength: 220 })), { maxLength: 12 }), fc.anything()), (value) => {
        const to = refusedOr(() => checkedRecipients(value));
        if (to) assert.ok(to.length >= 1 && to.length <= 10 && new Set(to).size === to.length);
      }),
      { seed, numRuns: 2000 },
    );
  });
});
