// DESIGN rule 5: the CRA profile's input parser faces the network; thousands of hostile JSON values,
// and what it accepts is exactly what the profile may hold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TrustplaneError } from '../core/errors.ts';
import { annexEntries } from './cra-annex-entries.ts';
import { parseCraProfilePatch } from './cra-profile-input.ts';

const refusedWith = (code: string, field?: string) => (e: unknown) => e instanceof TrustplaneError && e.code === code && (field === undefined || e.details?.field === field);

test('a well-formed change is read field by field; null clears', () => {
  assert.deepEqual(
    parseCraProfilePatch({
      annexEntry: 'III-I-13',
      placedOnMarket: '2026-03',
      supportUntil: '2031-12',
      supportPeriodJustification: null,
      vulnerabilityContact: 'mailto:psirt@example.com',
      cvdPolicyUrl: 'https://example.com/security/cvd',
      preferredLanguages: ['en', 'de', 'pt-BR'],
      harmonisedStandardsAppliedInFull: true,
      route: { procedure: 'eu-certification', assuranceLevel: 'substantial' },
    }),
    {
      annexEntry: 'III-I-13',
      placedOnMarket: '2026-03',
      supportUntil: '2031-12',
      supportPeriodJustification: null,
      vulnerabilityContact: 'mailto:psirt@example.com',
      cvdPolicyUrl: 'https://example.com/security/cvd',
      preferredLanguages: ['en', 'de', 'pt-BR'],
      harmonisedStandardsAppliedInFull: true,
      route: { procedure: 'eu-certification', assuranceLevel: 'substantial' },
    },
  );
  assert.deepEqual(parseCraProfilePatch({}), {});
  assert.deepEqual(parseCraProfilePatch({ route: { procedure: 'B+C' } }), { route: { procedure: 'B+C', assuranceLevel: null } });
});

test('each bad value is refused with its code and field', () => {
  const cases: [unknown, string, string | undefined][] = [
    [null, 'VALIDATION_FAILED', undefined],
    [[], 'VALIDATION_FAILED', undefined],
    [{ craClass: 'default' }, 'VALIDATION_FAILED', 'craClass'],
    [{ category: 'important' }, 'VALIDATION_FAILED', 'category'],
    [{ annexEntry: 'III-I-20' }, 'CRA_ANNEX_ENTRY_UNKNOWN', 'annexEntry'],
    [{ annexEntry: 'V-1' }, 'VALIDATION_FAILED', 'annexEntry'],
    [{ supportUntil: null }, 'VALIDATION_FAILED', 'supportUntil'],
    [{ supportUntil: '2031-12-32' }, 'VALIDATION_FAILED', 'supportUntil'],
    [{ placedOnMarket: '03/2026' }, 'VALIDATION_FAILED', 'placedOnMarket'],
    [{ supportPeriodJustification: '' }, 'VALIDATION_FAILED', 'supportPeriodJustification'],
    [{ supportPeriodJustification: 'x'.repeat(2001) }, 'VALIDATION_FAILED', 'supportPeriodJustification'],
    [{ supportPeriodJustification: 'a\nb' }, 'VALIDATION_FAILED', 'supportPeriodJustification'],
    [{ vulnerabilityContact: 'http://example.com/report' }, 'VALIDATION_FAILED', 'vulnerabilityContact'],
    [{ vulnerabilityContact: 'mailto:psirt@example.com\r\nPolicy: https://evil.example' }, 'VALIDATION_FAILED', 'vulnerabilityContact'],
    [{ vulnerabilityContact: 'mailto:psirt@example.com?subject=x' }, 'VALIDATION_FAILED', 'vulnerabilityContact'],
    [{ vulnerabilityContact: 'tel:+4930123' }, 'VALIDATION_FAILED', 'vulnerabilityContact'],
    [{ cvdPolicyUrl: 'https://user:pw@example.com/cvd' }, 'VALIDATION_FAILED', 'cvdPolicyUrl'],
    [{ cvdPolicyUrl: 'mailto:psirt@example.com' }, 'VALIDATION_FAILED', 'cvdPolicyUrl'],
    [{ cvdPolicyUrl: 'https://exämple.com/cvd' }, 'VALIDATION_FAILED', 'cvdPolicyUrl'],
    [{ preferredLanguages: 'en' }, 'VALIDATION_FAILED', 'preferredLanguages'],
    [{ preferredLanguages: ['en', 'EN'] }, 'VALIDATION_FAILED', 'preferredLanguages'],
    [{ preferredLanguages: ['en, de'] }, 'VALIDATION_FAILED', 'preferredLanguages'],
    [{ harmonisedStandardsAppliedInFull: 'yes' }, 'VALIDATION_FAILED', 'harmonisedStandardsAppliedInFull'],
    [{ route: 'A' }, 'VALIDATION_FAILED', 'route'],
    [{ route: { procedure: 'D' } }, 'VALIDATION_FAILED', 'route.procedure'],
    [{ route: { procedure: 'eu-certification' } }, 'VALIDATION_FAILED', 'route.assuranceLevel'],
    [{ route: { procedure: 'H', assuranceLevel: 'high' } }, 'VALIDATION_FAILED', 'route.assuranceLevel'],
    [{ route: { procedure: 'H', by: 'me' } }, 'VALIDATION_FAILED', 'route.by'],
  ];
  for (const [body, code, field] of cases) assert.throws(() => parseCraProfilePatch(body), refusedWith(code, field), JSON.stringify(body));
});

/** Printable ASCII, as everything that reaches security.txt must be. */
const printable = (s: string) => /^[\x21-\x7e]+$/.test(s);

test('hostile JSON: a TrustplaneError with a 4xx code or a patch whose every value the profile may hold, nothing else', () => {
  const field = fc.constantFrom('category', 'annexEntry', 'placedOnMarket', 'supportUntil', 'supportPeriodJustification', 'vulnerabilityContact', 'cvdPolicyUrl', 'preferredLanguages', 'harmonisedStandardsAppliedInFull', 'certificationRequiredByDelegatedAct', 'route', 'memberStates', '__proto__', 'constructor', 'toString');
  const plausible = fc.oneof(
    fc.constantFrom(...annexEntries.map((e) => e.id), 'III-I-0', 'IV-4', 'default', 'important-1', 'critical', '2031-12', '2031-02-29', '2028-02-29', 'mailto:a@b.c', 'mailto:@b', 'https://x.example/p', 'https://', 'javascript:alert(1)', 'en', 'de-CH'),
    fc.record({ procedure: fc.constantFrom('A', 'B+C', 'H', 'eu-certification', 'X'), assuranceLevel: fc.constantFrom('basic', 'substantial', 'high', 'low', undefined) }, { requiredKeys: [] }),
    fc.array(fc.constantFrom('en', 'de', 'fr-CA', 'x', '', 'en\n'), { maxLength: 12 }),
    fc.constantFrom('all-eu', 'ALL-EU', 'all'),
    fc.array(fc.constantFrom('DE', 'fr', 'GR', 'EL', 'NO', 'UK', 'XX', '', ' de '), { maxLength: 32 }),
  );
  const value = fc.oneof({ weight: 3, arbitrary: plausible }, { weight: 2, arbitrary: fc.jsonValue() }, { weight: 1, arbitrary: fc.anything() });
  const body = fc.oneof({ weight: 5, arbitrary: fc.dictionary(field, value, { maxKeys: 5 }) }, { weight: 1, arbitrary: fc.anything() });
  let accepted = 0;
  fc.assert(
    fc.property(body, (b) => {
      let patch;
      try {
        patch = parseCraProfilePatch(b);
      } catch (e) {
        assert.ok(e instanceof TrustplaneError, `not a TrustplaneError: ${String(e)}`);
        assert.ok(e.status >= 400 && e.status < 500, e.code);
        return;
      }
      accepted++;
      for (const [k, v] of Object.entries(patch)) {
        if (v === null || typeof v === 'boolean') continue;
        if (k === 'route') assert.ok(['A', 'B+C', 'H', 'eu-certification'].includes((v as { procedure: string }).procedure));
        else if (k === 'preferredLanguages') assert.ok((v as string[]).every(printable));
        else if (k === 'supportPeriodJustification') assert.ok(!/[\x00-\x1f\x7f]/.test(v as string));
        else if (k === 'memberStates') assert.ok(v === 'all-eu' || (Array.isArray(v) && v.length > 0 && new Set(v).size === v.length && v.every((c) => /^[A-Z]{2}$/.test(c) && c !== 'GR')), JSON.stringify(v));
        else assert.ok(typeof v === 'string' && printable(v), `${k}: ${JSON.stringify(v)}`);
      }
    }),
    { seed: 2847, numRuns: 5000 },
  );
  assert.ok(accepted > 100, `some hostile bodies are well-formed changes (${accepted})`);
});
