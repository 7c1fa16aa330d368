import { TrustplaneError } from '../core/errors.ts';
import type { CraClass } from '../pki/records.types.ts';

/**
 * The conformity assessment procedures of CRA Art 32 (Regulation (EU) 2024/2847) and which of them
 * each product category may use. No I/O: the profile use case and the tests read the same rules.
 */
export const conformityProcedures = ['A', 'B+C', 'H', 'eu-certification'] as const;
export type ConformityProcedure = (typeof conformityProcedures)[number];

/** Regulation (EU) 2019/881 Art 52: the assurance levels of a European cybersecurity certificate. */
export const assuranceLevels = ['basic', 'substantial', 'high'] as const;
export type AssuranceLevel = (typeof assuranceLevels)[number];

export const procedureTitles: Readonly<Record<ConformityProcedure, string>> = {
  A: 'internal control (module A, Annex VIII Part I)',
  'B+C': 'EU-type examination (module B, Annex VIII Part II) followed by conformity to type based on internal production control (module C, Annex VIII Part III)',
  H: 'full quality assurance (module H, Annex VIII Part IV)',
  'eu-certification': 'a European cybersecurity certification scheme (Regulation (EU) 2019/881)',
};

/** What the manufacturer states about the product, on which Art 32(2) and 32(4) turn. */
export interface ConformityConditions {
  /**
   * Art 32(2): harmonised standards, common specifications or European cybersecurity
   * certification schemes at assurance level at least 'substantial' applied in full.
   */
  harmonisedStandardsAppliedInFull: boolean;
  /** Art 8(1): a delegated act requires the category to hold a European cybersecurity certificate. */
  certificationRequiredByDelegatedAct: boolean;
}

export interface AllowedProcedure {
  procedure: ConformityProcedure;
  /** the provision that allows it */
  basis: string;
  /** with `eu-certification`: the lowest assurance level the certificate may have */
  minimumAssuranceLevel?: AssuranceLevel;
}

/** Art 32(1): any product may use these; (d) where a scheme is available and applicable (Art 27(9)). */
const paragraph1 = (basis: string, minimumAssuranceLevel?: AssuranceLevel): AllowedProcedure[] => [
  { procedure: 'A', basis: `${basis}, Art 32(1)(a)` },
  { procedure: 'B+C', basis: `${basis}, Art 32(1)(b)` },
  { procedure: 'H', basis: `${basis}, Art 32(1)(c)` },
  { procedure: 'eu-certification', basis: `${basis}, Art 32(1)(d), Art 27(9)`, ...(minimumAssuranceLevel ? { minimumAssuranceLevel } : {}) },
];

/** Art 32(3): class II; also critical products while no delegated act requires a certificate (Art 8(1), Art 32(4)(b)). */
const paragraph3 = (basis: string): AllowedProcedure[] => [
  { procedure: 'B+C', basis: `${basis}, Art 32(3)(a)` },
  { procedure: 'H', basis: `${basis}, Art 32(3)(b)` },
  { procedure: 'eu-certification', basis: `${basis}, Art 32(3)(c)`, minimumAssuranceLevel: 'substantial' },
];

/** The procedures the category allows under the stated conditions, in the order of Art 32. */
export function allowedProcedures(category: CraClass, conditions: ConformityConditions): AllowedProcedure[] {
  switch (category) {
    case 'default':
      return paragraph1('CRA');
    case 'important-1':
      // Art 32(2): module A (and the rest of paragraph 1) only with the standards applied in full.
      return conditions.harmonisedStandardsAppliedInFull
        ? paragraph1('Annex III class I with harmonised standards applied in full (Art 32(2))', 'substantial')
        : [
            { procedure: 'B+C', basis: 'Annex III class I, Art 32(2)(a)' },
            { procedure: 'H', basis: 'Annex III class I, Art 32(2)(b)' },
          ];
    case 'important-2':
      return paragraph3('Annex III class II');
    case 'critical':
      return conditions.certificationRequiredByDelegatedAct
        ? [{ procedure: 'eu-certification', basis: 'Annex IV, Art 32(4)(a), Art 8(1)', minimumAssuranceLevel: 'substantial' }]
        : paragraph3('Annex IV without a delegated act under Art 8(1) (Art 32(4)(b))');
  }
}

export interface ChosenProcedure {
  procedure: ConformityProcedure;
  /** required with `eu-certification`, refused otherwise */
  assuranceLevel: AssuranceLevel | null;
}

/** Refuses a procedure (or a certificate's assurance level) the category does not allow, naming those it does. */
export function checkProcedureAllowed(category: CraClass, conditions: ConformityConditions, chosen: ChosenProcedure): void {
  const allowed = allowedProcedures(category, conditions);
  const match = allowed.find((a) => a.procedure === chosen.procedure);
  const names = allowed.map((a) => (a.minimumAssuranceLevel ? `${a.procedure} (assurance level ${a.minimumAssuranceLevel} or higher)` : a.procedure)).join(', ');
  const refuse = (why: string) =>
    new TrustplaneError('CRA_PROCEDURE_NOT_ALLOWED', `${why}; the ${category} category allows ${names}`, {
      details: { category, procedure: chosen.procedure, allowed: allowed.map((a) => a.procedure), ...conditions },
    });
  if (!match) {
    const hint = category === 'important-1' && chosen.procedure !== 'B+C' && chosen.procedure !== 'H' ? ' without harmonised standards applied in full (Art 32(2))' : '';
    throw refuse(`procedure ${chosen.procedure} is not allowed${hint}`);
  }
  if (match.minimumAssuranceLevel && (chosen.assuranceLevel === null || assuranceLevels.indexOf(chosen.assuranceLevel) < assuranceLevels.indexOf(match.minimumAssuranceLevel))) {
    throw refuse(`a certificate at assurance level ${chosen.assuranceLevel ?? '(none given)'} is not enough (${match.basis})`);
  }
}
