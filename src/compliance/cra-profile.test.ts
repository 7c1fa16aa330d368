// The rules a profile change must keep, applied to a profile without a database.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TrustplaneError } from '../core/errors.ts';
import { applyCraProfilePatch, profileChanges } from './cra-profile.ts';
import { parseCraProfilePatch } from './cra-profile-input.ts';
import type { CraProfileRecord } from './cra-profile.types.ts';
import { craProfileView } from './cra-profile-view.ts';
import { noInstallationContact } from './cra-context.ts';

const now = new Date('2027-01-10T12:00:00Z');
const change = { by: 'alice (admin, tok_1)', now, caNotAfter: new Date('2041-01-01T23:59:59Z') };
const legacy: CraProfileRecord = {
  productId: 'prd_1',
  sku: 'GW-1',
  category: 'important-1',
  annexEntry: null,
  placedOnMarket: null,
  supportUntil: new Date('2040-12-31T23:59:59Z'),
  supportUntilPrecision: 'day',
  supportJustification: null,
  vulnerabilityContact: null,
  cvdPolicyUrl: null,
  preferredLanguages: [],
  harmonisedStandardsAppliedInFull: false,
  certificationRequiredByDelegatedAct: false,
  route: null,
  memberStates: null,
};
const apply = (p: CraProfileRecord, body: unknown, at = change) => applyCraProfilePatch(p, parseCraProfilePatch(body), at);
const refused = (code: string) => (e: unknown) => e instanceof TrustplaneError && e.code === code;

test('the Annex entry sets the category; default takes none; an important or critical product needs its own', () => {
  assert.deepEqual([apply(legacy, { annexEntry: 'III-II-2' }).category, apply(legacy, { annexEntry: 'IV-1' }).category], ['important-2', 'critical']);
  const routers = apply(legacy, { annexEntry: 'III-I-12' });
  assert.deepEqual([routers.category, routers.annexEntry], ['important-1', 'III-I-12']);
  const plain = apply(routers, { category: 'default' });
  assert.deepEqual([plain.category, plain.annexEntry], ['default', null], 'default drops the entry');
  assert.throws(() => apply(legacy, { category: 'default', annexEntry: 'III-I-12' }), refused('CRA_ANNEX_ENTRY_MISMATCH'));
  assert.throws(() => apply(legacy, { category: 'critical', annexEntry: 'III-I-12' }), refused('CRA_ANNEX_ENTRY_MISMATCH'));
  assert.throws(() => apply(routers, { category: 'important-2' }), refused('CRA_ANNEX_ENTRY_MISMATCH'), 'III-I-12 is class I');
  assert.throws(() => apply(legacy, { category: 'critical' }), refused('CRA_ANNEX_ENTRY_MISMATCH'), 'no entry');
  assert.throws(() => apply(routers, { annexEntry: null }), refused('CRA_ANNEX_ENTRY_MISMATCH'), 'clearing the entry does not make a product default');
});

test('the support period: in the future, after placing on the market, within the issuing CA', () => {
  const p = apply(legacy, { placedOnMarket: '2026-03', supportUntil: '2031-12' });
  assert.deepEqual([p.supportUntil.toISOString(), p.supportUntilPrecision], ['2031-12-31T23:59:59.000Z', 'month']);
  assert.throws(() => apply(legacy, { supportUntil: '2026-12' }), refused('VALIDATION_FAILED'));
  assert.throws(() => apply(legacy, { supportUntil: '2027-01-09' }), refused('VALIDATION_FAILED'), 'ended yesterday');
  assert.doesNotThrow(() => apply(legacy, { supportUntil: '2027-01-10' }), 'ends tonight');
  assert.throws(() => apply(legacy, { supportUntil: '2041-01' }), refused('CRA_SUPPORT_BEYOND_CA'));
  assert.doesNotThrow(() => apply(legacy, { supportUntil: '2040-12' }));
  assert.throws(() => apply(legacy, { placedOnMarket: '2041-01' }), refused('VALIDATION_FAILED'), 'placed after the support period ends');
  assert.throws(() => apply(p, { supportUntil: '2027-02', placedOnMarket: '2027-03' }), refused('VALIDATION_FAILED'));
});

test('a route is one the category allows, also after the category or the conditions change', () => {
  const routers = apply(legacy, { annexEntry: 'III-I-12' });
  assert.throws(() => apply(routers, { route: { procedure: 'A' } }), refused('CRA_PROCEDURE_NOT_ALLOWED'));
  const selfAssessed = apply(routers, { harmonisedStandardsAppliedInFull: true, route: { procedure: 'A' } });
  assert.deepEqual(selfAssessed.route, { value: { procedure: 'A', assuranceLevel: null }, by: change.by, at: now });
  assert.throws(() => apply(selfAssessed, { harmonisedStandardsAppliedInFull: false }), refused('CRA_PROCEDURE_NOT_ALLOWED'), 'the condition module A stands on');
  assert.throws(() => apply(selfAssessed, { annexEntry: 'III-II-2' }), refused('CRA_PROCEDURE_NOT_ALLOWED'), 'class II never allows module A');
  const firewall = apply(selfAssessed, { annexEntry: 'III-II-2', route: { procedure: 'B+C' } });
  assert.equal(firewall.route?.value.procedure, 'B+C');
  const later = { ...change, by: 'bob (admin, tok_2)', now: new Date('2027-02-01T00:00:00Z') };
  assert.equal(apply(firewall, { route: { procedure: 'B+C' } }, later).route?.by, change.by, 'the same route again keeps who chose it');
  assert.equal(apply(firewall, { route: null }).route, null);
  const hsm = apply(legacy, { annexEntry: 'IV-1', certificationRequiredByDelegatedAct: true, route: { procedure: 'eu-certification', assuranceLevel: 'high' } });
  assert.throws(() => apply(hsm, { route: { procedure: 'H' } }), refused('CRA_PROCEDURE_NOT_ALLOWED'));
});

test('the event names each field changed, from what to what; nothing changed, nothing named', () => {
  const next = apply(legacy, { annexEntry: 'III-I-12', supportUntil: '2040-12', vulnerabilityContact: 'mailto:psirt@example.com' });
  assert.deepEqual(profileChanges(legacy, next), {
    annexEntry: { from: null, to: 'III-I-12' },
    supportUntil: { from: '2040-12-31', to: '2040-12' },
    vulnerabilityContact: { from: null, to: 'mailto:psirt@example.com' },
  });
  assert.deepEqual(profileChanges(next, apply(next, { annexEntry: 'III-I-12', vulnerabilityContact: 'mailto:psirt@example.com' })), {});
});

test('the view: a support period under five years warns until a justification is recorded; retention dates follow', () => {
  const view = (p: CraProfileRecord) => craProfileView(p, { now, installation: noInstallationContact, securityTxtUrl: 'https://tp.example/products/GW-1/security.txt' });
  const short = apply(legacy, { annexEntry: 'III-I-12', placedOnMarket: '2026-03', supportUntil: '2029-12' });
  const warned = view(short);
  assert.ok(warned.warnings.some((w) => w.code === 'SUPPORT_PERIOD_UNDER_FIVE_YEARS'));
  assert.equal(warned.supportPeriod.minimumEnd, '2031-03-31');
  assert.deepEqual(warned.retention, { securityUpdates: { issuedToday: '2037-01-10', issuedAtSupportEnd: '2039-12-31' }, technicalDocumentation: '2036-03-31' });
  const justified = view(apply(short, { supportPeriodJustification: 'a trade-fair demonstrator, in use for three years' }));
  assert.ok(!justified.warnings.some((w) => w.code === 'SUPPORT_PERIOD_UNDER_FIVE_YEARS'));
  assert.deepEqual(justified.supportPeriod.justification, { text: 'a trade-fair demonstrator, in use for three years', recordedBy: change.by, recordedAt: now.toISOString() });
  assert.ok(!view(apply(short, { supportUntil: '2031-03' })).warnings.some((w) => w.code === 'SUPPORT_PERIOD_UNDER_FIVE_YEARS'), 'five years needs no reason');
  assert.deepEqual(view(legacy).warnings.map((w) => w.code), ['ANNEX_ENTRY_MISSING', 'PLACED_ON_MARKET_MISSING', 'ROUTE_MISSING', 'CONTACT_MISSING', 'CVD_POLICY_MISSING']);
});

test('where the product is made available: recorded with who and when, the same again keeps the record, null withdraws it; in the change event', () => {
  const set = apply(legacy, { memberStates: ['FR', 'gr'] });
  assert.deepEqual(set.memberStates, { value: ['EL', 'FR'], by: change.by, at: now });
  const later = { ...change, by: 'bob (admin, tok_2)', now: new Date('2027-02-01T00:00:00Z') };
  assert.equal(apply(set, { memberStates: ['EL', 'FR'] }, later).memberStates, set.memberStates, 'the same states: the first record kept');
  assert.deepEqual(apply(set, { memberStates: 'all-eu' }, later).memberStates, { value: 'all-eu', by: later.by, at: later.now });
  assert.equal(apply(set, { memberStates: null }).memberStates, null);
  assert.equal(apply(set, { cvdPolicyUrl: 'https://example.com/cvd' }).memberStates, set.memberStates, 'absent: kept');
  assert.deepEqual(profileChanges(legacy, set), { memberStates: { from: null, to: ['EL', 'FR'] } });
  assert.throws(() => apply(legacy, { memberStates: [] }), refused('VALIDATION_FAILED'));
  assert.throws(() => apply(legacy, { memberStates: ['DE', 'DE'] }), refused('VALIDATION_FAILED'));
  const view = craProfileView(set, { now, installation: noInstallationContact, securityTxtUrl: 'https://tp.example/products/GW-1/security.txt' });
  assert.deepEqual(view.madeAvailable, { memberStates: ['EL', 'FR'], recordedBy: change.by, recordedAt: now.toISOString() });
});
