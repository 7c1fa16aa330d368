import { parseMadeAvailableIn } from '../article14/member-states.ts';
import { TrustplaneError } from '../core/errors.ts';
import { craClasses } from '../pki/records.types.ts';
import { requireText } from '../pki/validation.ts';
import { assuranceLevels, conformityProcedures, type AssuranceLevel, type ConformityProcedure } from './conformity-procedures.ts';
import { findAnnexEntry } from './cra-annex-entries.ts';
import { parseDeclaredDate } from './cra-dates.ts';
import type { CraProfilePatch } from './cra-profile.types.ts';
import { parseContactUri, parseHttpsUrl, parseLanguageTags } from './vulnerability-contact.ts';

export const MAX_JUSTIFICATION_LENGTH = 2000;

const fields = [
  'category',
  'annexEntry',
  'placedOnMarket',
  'supportUntil',
  'supportPeriodJustification',
  'vulnerabilityContact',
  'cvdPolicyUrl',
  'preferredLanguages',
  'harmonisedStandardsAppliedInFull',
  'certificationRequiredByDelegatedAct',
  'route',
  'memberStates',
] as const;

const invalid = (field: string, why: string) => new TrustplaneError('VALIDATION_FAILED', `${field} ${why}`, { details: { field } });

/**
 * A change to a CRA profile as a client sent it (attacker-controlled JSON; the route's schema has
 * bounded its size and shape, this checks again and checks every value): each field is checked
 * alone here; how they fit together and with the stored profile, in cra-profile.ts.
 */
export function parseCraProfilePatch(body: unknown): CraProfilePatch {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TrustplaneError('VALIDATION_FAILED', 'the body must be a JSON object');
  const input = body as Record<string, unknown>;
  const unknown = Object.keys(input).find((k) => !(fields as readonly string[]).includes(k));
  if (unknown !== undefined) throw invalid(unknown.slice(0, 64), 'is not a field of the CRA profile');
  const patch: CraProfilePatch = {};
  const has = (k: (typeof fields)[number]) => Object.hasOwn(input, k) && input[k] !== undefined;
  if (has('category')) patch.category = oneOf('category', input.category, craClasses);
  if (has('annexEntry')) patch.annexEntry = nullable(input.annexEntry, annexEntryId);
  if (has('placedOnMarket')) patch.placedOnMarket = nullable(input.placedOnMarket, (v) => parseDeclaredDate('placedOnMarket', v).text);
  if (has('supportUntil')) patch.supportUntil = parseDeclaredDate('supportUntil', input.supportUntil).text;
  if (has('supportPeriodJustification')) patch.supportPeriodJustification = nullable(input.supportPeriodJustification, (v) => requireText('supportPeriodJustification', v, MAX_JUSTIFICATION_LENGTH));
  if (has('vulnerabilityContact')) patch.vulnerabilityContact = nullable(input.vulnerabilityContact, (v) => parseContactUri('vulnerabilityContact', v));
  if (has('cvdPolicyUrl')) patch.cvdPolicyUrl = nullable(input.cvdPolicyUrl, (v) => parseHttpsUrl('cvdPolicyUrl', v));
  if (has('preferredLanguages')) patch.preferredLanguages = nullable(input.preferredLanguages, (v) => parseLanguageTags('preferredLanguages', v));
  if (has('harmonisedStandardsAppliedInFull')) patch.harmonisedStandardsAppliedInFull = flag('harmonisedStandardsAppliedInFull', input.harmonisedStandardsAppliedInFull);
  if (has('certificationRequiredByDelegatedAct')) patch.certificationRequiredByDelegatedAct = flag('certificationRequiredByDelegatedAct', input.certificationRequiredByDelegatedAct);
  if (has('route')) patch.route = nullable(input.route, parseRoute);
  if (has('memberStates')) patch.memberStates = nullable(input.memberStates, (v) => parseMadeAvailableIn(v));
  return patch;
}

function nullable<T>(value: unknown, parse: (v: unknown) => T): T | null {
  return value === null ? null : parse(value);
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw invalid(field, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

function flag(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(field, 'must be true or false');
  return value;
}

function annexEntryId(value: unknown): string {
  if (typeof value !== 'string' || !/^(?:III-(?:I|II)|IV)-\d{1,2}$/.test(value)) throw invalid('annexEntry', 'must be an Annex entry id such as III-I-12, III-II-2 or IV-1');
  if (!findAnnexEntry(value)) throw new TrustplaneError('CRA_ANNEX_ENTRY_UNKNOWN', `${value} is not an entry of CRA Annex III or IV`, { details: { field: 'annexEntry' } });
  return value;
}

function parseRoute(value: unknown): { procedure: ConformityProcedure; assuranceLevel: AssuranceLevel | null } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('route', 'must be an object { procedure, assuranceLevel? } or null');
  const route = value as Record<string, unknown>;
  const extra = Object.keys(route).find((k) => k !== 'procedure' && k !== 'assuranceLevel');
  if (extra !== undefined) throw invalid(`route.${extra.slice(0, 64)}`, 'is not a field of a route');
  const procedure = oneOf('route.procedure', route.procedure, conformityProcedures);
  const level = route.assuranceLevel === undefined || route.assuranceLevel === null ? null : oneOf('route.assuranceLevel', route.assuranceLevel, assuranceLevels);
  // A certificate has an assurance level (Regulation (EU) 2019/881 Art 52); the modules have none.
  if (procedure === 'eu-certification' && level === null) throw invalid('route.assuranceLevel', 'is required with eu-certification: basic, substantial or high');
  if (procedure !== 'eu-certification' && level !== null) throw invalid('route.assuranceLevel', 'belongs to eu-certification only');
  return { procedure, assuranceLevel: level };
}
