import { TrustplaneError } from '../core/errors.ts';
import type { ProductRecord } from '../pki/records.types.ts';

/**
 * The 27 Member States by their ISO 3166-1 alpha-2 codes (Greece is `GR` here; the EU's own
 * documents write `EL`, which is refused with a hint rather than guessed).
 */
export const euMemberStates = ['AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK'] as const;
export type MemberState = (typeof euMemberStates)[number];

export function isMemberState(code: string): code is MemberState {
  return (euMemberStates as readonly string[]).includes(code);
}

/** A list of Member States as a person gives it: upper-cased, each once, in order; anything else refused. */
export function checkedMemberStates(value: unknown, field = 'memberStates'): MemberState[] {
  if (!Array.isArray(value) || value.length > euMemberStates.length) throw new TrustplaneError('VALIDATION_FAILED', `${field} must be a list of EU Member State codes (ISO 3166-1 alpha-2)`, { details: { field } });
  const codes = new Set<MemberState>();
  for (const item of value) {
    const code = typeof item === 'string' ? item.trim().toUpperCase() : '';
    if (!isMemberState(code)) {
      const hint = code === 'EL' ? ' (Greece is GR in ISO 3166-1)' : code === 'UK' || code === 'GB' ? ' (not a Member State)' : '';
      throw new TrustplaneError('VALIDATION_FAILED', `${field}: ${JSON.stringify(String(item).slice(0, 16))} is not an EU Member State code${hint}`, { details: { field } });
    }
    codes.add(code);
  }
  return [...codes].sort();
}

/**
 * WIRING POINT (the one place): the Member States where the product is made available, from the
 * product's own record. The CRA product profile (being built beside this, migration 0013) is to
 * carry them; until a product field exists this answers null, and a case's Member States are what
 * the PSIRT states on the case (`PATCH …/reports/{caseId}` `memberStates`). When the field exists,
 * return it here: drafts and case views pre-fill from it wherever a case states none.
 */
export function productMemberStates(_product: ProductRecord): MemberState[] | null {
  return null;
}
