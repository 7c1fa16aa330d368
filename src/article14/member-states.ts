import { TrustplaneError } from '../core/errors.ts';
import type { ProductRecord } from '../pki/records.types.ts';

/**
 * The 27 Member States of the Union by the codes the EU's own documents use: ISO 3166-1 alpha-2,
 * except Greece, which is `EL` (ISO: `GR`). `GR` is accepted on input and stored and shown as `EL`.
 */
export const euMemberStates = ['AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'EL', 'ES', 'FI', 'FR', 'HR', 'HU', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK'] as const;
/**
 * The EEA EFTA States (Iceland, Liechtenstein, Norway): the CRA is "text with EEA relevance", and
 * once incorporated into the EEA Agreement its references to Member States take them in.
 */
export const eeaEftaStates = ['IS', 'LI', 'NO'] as const;
export const memberStates = [...euMemberStates, ...eeaEftaStates] as const;
export type MemberState = (typeof memberStates)[number];

/** Made available throughout the Union: the 27 EU Member States (the EEA EFTA States are listed one by one). */
export const ALL_EU = 'all-eu';
/** Where a product is made available, as its CRA profile records it (Art 14(2)(a), (4)(a)). */
export type MadeAvailableIn = MemberState[] | typeof ALL_EU;

export function isMemberState(code: string): code is MemberState {
  return (memberStates as readonly string[]).includes(code);
}

/** One code as a person writes it (any case, spaces around): the EU's code, or undefined. ISO's `GR` is Greece, `EL`. */
export function memberStateCode(value: unknown): MemberState | undefined {
  const code = typeof value === 'string' ? value.trim().toUpperCase() : '';
  const eu = code === 'GR' ? 'EL' : code;
  return isMemberState(eu) ? eu : undefined;
}

function notAMemberState(field: string, item: unknown): TrustplaneError {
  const code = typeof item === 'string' ? item.trim().toUpperCase() : '';
  const hint = code === 'UK' || code === 'GB' || code === 'CH' ? ' (not an EU or EEA Member State)' : '';
  return new TrustplaneError('VALIDATION_FAILED', `${field}: ${JSON.stringify(String(item).slice(0, 16))} is not an EU or EEA Member State code${hint}`, { details: { field } });
}

/** A list of Member States as a person gives it on a report case: each once, sorted; anything else refused. */
export function checkedMemberStates(value: unknown, field = 'memberStates'): MemberState[] {
  if (!Array.isArray(value) || value.length > memberStates.length) throw new TrustplaneError('VALIDATION_FAILED', `${field} must be a list of EU or EEA Member State codes (ISO 3166-1 alpha-2; Greece EL or GR)`, { details: { field } });
  const codes = new Set<MemberState>();
  for (const item of value) {
    const code = memberStateCode(item);
    if (code === undefined) throw notAMemberState(field, item);
    codes.add(code);
  }
  return [...codes].sort();
}

/**
 * Where the product is made available, for its CRA profile (attacker-controlled JSON): `all-eu`, or
 * a list of at least one Member State, each once (`GR` and `EL` are the same one), stored sorted.
 */
export function parseMadeAvailableIn(value: unknown, field = 'memberStates'): MadeAvailableIn {
  if (value === ALL_EU) return ALL_EU;
  if (!Array.isArray(value) || value.length === 0 || value.length > memberStates.length) {
    throw new TrustplaneError('VALIDATION_FAILED', `${field} must be "${ALL_EU}" or a list of 1 to ${memberStates.length} EU or EEA Member State codes`, { details: { field } });
  }
  const codes = new Set<MemberState>();
  for (const item of value) {
    const code = memberStateCode(item);
    if (code === undefined) throw notAMemberState(field, item);
    if (codes.has(code)) throw new TrustplaneError('VALIDATION_FAILED', `${field}: ${code} is listed twice${code === 'EL' ? ' (GR and EL are both Greece)' : ''}`, { details: { field } });
    codes.add(code);
  }
  return [...codes].sort();
}

/**
 * The Member States where the product is made available, from its CRA profile (`memberStates`):
 * `all-eu` is the 27; null when the profile records none. Drafts and case views pre-fill from it
 * wherever a case states none of its own.
 */
export function productMemberStates(product: ProductRecord): MemberState[] | null {
  const recorded = product.memberStates;
  if (recorded === null) return null;
  if (recorded === ALL_EU) return [...euMemberStates];
  return recorded.filter(isMemberState);
}
