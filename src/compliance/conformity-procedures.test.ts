// CRA Art 32 (Regulation (EU) 2024/2847): which conformity assessment procedures each category allows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TrustplaneError } from '../core/errors.ts';
import type { CraClass } from '../pki/records.types.ts';
import { allowedProcedures, checkProcedureAllowed, type ConformityConditions } from './conformity-procedures.ts';

const none: ConformityConditions = { harmonisedStandardsAppliedInFull: false, certificationRequiredByDelegatedAct: false };
const inFull: ConformityConditions = { ...none, harmonisedStandardsAppliedInFull: true };
const delegatedAct: ConformityConditions = { ...none, certificationRequiredByDelegatedAct: true };
const ids = (category: CraClass, c: ConformityConditions) => allowedProcedures(category, c).map((a) => a.procedure);

test('default (Art 32(1)): module A, B+C, H, or a European cybersecurity certification scheme', () => {
  for (const c of [none, inFull, delegatedAct]) assert.deepEqual(ids('default', c), ['A', 'B+C', 'H', 'eu-certification']);
  assert.equal(allowedProcedures('default', none).find((a) => a.procedure === 'eu-certification')?.minimumAssuranceLevel, undefined);
});

test('class I (Art 32(2)): module A only with harmonised standards or common specifications applied in full, else B+C or H', () => {
  assert.deepEqual(ids('important-1', none), ['B+C', 'H']);
  assert.deepEqual(ids('important-1', delegatedAct), ['B+C', 'H'], 'a delegated act under Art 8(1) is about Annex IV, not class I');
  assert.deepEqual(ids('important-1', inFull), ['A', 'B+C', 'H', 'eu-certification']);
  assert.equal(allowedProcedures('important-1', inFull).find((a) => a.procedure === 'eu-certification')?.minimumAssuranceLevel, 'substantial');
});

test('class II (Art 32(3)): B+C, H, or a certificate at assurance level at least substantial — never module A', () => {
  for (const c of [none, inFull, delegatedAct]) assert.deepEqual(ids('important-2', c), ['B+C', 'H', 'eu-certification']);
  assert.equal(allowedProcedures('important-2', inFull).find((a) => a.procedure === 'eu-certification')?.minimumAssuranceLevel, 'substantial');
});

test('critical (Art 32(4)): a European cybersecurity certificate where a delegated act requires it, else the class II procedures', () => {
  assert.deepEqual(ids('critical', none), ['B+C', 'H', 'eu-certification']);
  assert.deepEqual(ids('critical', inFull), ['B+C', 'H', 'eu-certification']);
  assert.deepEqual(allowedProcedures('critical', delegatedAct), [{ procedure: 'eu-certification', basis: 'Annex IV, Art 32(4)(a), Art 8(1)', minimumAssuranceLevel: 'substantial' }]);
});

test('a procedure the category does not allow is refused with CRA_PROCEDURE_NOT_ALLOWED, naming those it does', () => {
  const refused = (category: CraClass, c: ConformityConditions, procedure: 'A' | 'B+C' | 'H' | 'eu-certification', level: 'basic' | 'substantial' | 'high' | null, names: RegExp) =>
    assert.throws(
      () => checkProcedureAllowed(category, c, { procedure, assuranceLevel: level }),
      (e: unknown) => e instanceof TrustplaneError && e.code === 'CRA_PROCEDURE_NOT_ALLOWED' && names.test(e.message),
    );
  refused('important-1', none, 'A', null, /without harmonised standards applied in full.*allows B\+C, H$/);
  refused('important-1', none, 'eu-certification', 'high', /allows B\+C, H$/);
  refused('important-2', inFull, 'A', null, /allows B\+C, H, eu-certification \(assurance level substantial or higher\)$/);
  refused('important-2', none, 'eu-certification', 'basic', /assurance level basic is not enough/);
  refused('critical', delegatedAct, 'B+C', null, /allows eu-certification \(assurance level substantial or higher\)$/);
  refused('critical', delegatedAct, 'eu-certification', null, /assurance level \(none given\)/);

  assert.doesNotThrow(() => checkProcedureAllowed('important-1', inFull, { procedure: 'A', assuranceLevel: null }));
  assert.doesNotThrow(() => checkProcedureAllowed('default', none, { procedure: 'eu-certification', assuranceLevel: 'basic' }));
  assert.doesNotThrow(() => checkProcedureAllowed('important-2', none, { procedure: 'eu-certification', assuranceLevel: 'substantial' }));
  assert.doesNotThrow(() => checkProcedureAllowed('critical', delegatedAct, { procedure: 'eu-certification', assuranceLevel: 'high' }));
  assert.doesNotThrow(() => checkProcedureAllowed('critical', none, { procedure: 'H', assuranceLevel: null }));
});
