import { allowedProcedures, procedureTitles } from './conformity-procedures.ts';
import { CRA_ELI, findAnnexEntry, TECHNICAL_DESCRIPTIONS_ELI } from './cra-annex-entries.ts';
import type { InstallationSecurityContact } from './cra-context.ts';
import { addYears, declaredEnd, fiveYearShortfall, MINIMUM_SUPPORT_YEARS, parseDeclaredDate, securityUpdateRetention, technicalDocumentationRetentionUntil } from './cra-dates.ts';
import type { CraProfileRecord } from './cra-profile.types.ts';

export interface ProfileWarning {
  code: 'ANNEX_ENTRY_MISSING' | 'PLACED_ON_MARKET_MISSING' | 'SUPPORT_PERIOD_UNDER_FIVE_YEARS' | 'ROUTE_MISSING' | 'CONTACT_MISSING' | 'CVD_POLICY_MISSING';
  message: string;
}

const day = (d: Date): string => d.toISOString().slice(0, 10);

/** The CRA profile as the API shows it (docs/design/api.md "CraProfile"): the record and what follows from it at `now`. */
export function craProfileView(p: CraProfileRecord, options: { now: Date; installation: InstallationSecurityContact; securityTxtUrl: string }) {
  const entry = p.annexEntry === null ? undefined : findAnnexEntry(p.annexEntry);
  const conditions = { harmonisedStandardsAppliedInFull: p.harmonisedStandardsAppliedInFull, certificationRequiredByDelegatedAct: p.certificationRequiredByDelegatedAct };
  const placed = p.placedOnMarket === null ? undefined : parseDeclaredDate('placedOnMarket', p.placedOnMarket);
  const shortfall = placed && fiveYearShortfall(placed, p.supportUntil);
  const updates = securityUpdateRetention(options.now, p.supportUntil);
  const contact = p.vulnerabilityContact ?? options.installation.contact ?? null;
  const policy = p.cvdPolicyUrl ?? options.installation.cvdPolicyUrl ?? null;
  const warnings: ProfileWarning[] = [];
  const warn = (code: ProfileWarning['code'], message: string) => warnings.push({ code, message });
  if (p.category !== 'default' && entry === undefined) warn('ANNEX_ENTRY_MISSING', `an ${p.category} product names the Annex III or IV entry it falls under (annexEntry)`);
  if (placed === undefined) warn('PLACED_ON_MARKET_MISSING', 'placedOnMarket is not recorded: the five-year check (CRA Art 13(8)) and the documentation retention (Art 13(13)) need it');
  if (shortfall && p.supportJustification === null) {
    const end = declaredEnd(p.supportUntil, p.supportUntilPrecision);
    warn('SUPPORT_PERIOD_UNDER_FIVE_YEARS', `the support period ends ${end}, less than five years after placing on the market (${p.placedOnMarket}; five years: ${day(shortfall)}), and no justification is recorded (CRA Art 13(8): only a product expected to be in use for less than five years may have a shorter one)`);
  }
  if (p.route === null) warn('ROUTE_MISSING', 'no conformity assessment procedure is chosen (CRA Art 32)');
  if (contact === null) warn('CONTACT_MISSING', 'no contact point for vulnerability reports (CRA Annex I Part II (6), Annex II (2))');
  if (policy === null) warn('CVD_POLICY_MISSING', 'no coordinated vulnerability disclosure policy (CRA Annex I Part II (5))');
  return {
    product: p.sku,
    category: p.category,
    annexEntry: entry
      ? { id: entry.id, title: entry.title, source: entry.source, eli: CRA_ELI, technicalDescription: entry.technicalDescription, technicalDescriptionEli: TECHNICAL_DESCRIPTIONS_ELI, description: entry.description }
      : null,
    conformity: {
      harmonisedStandardsAppliedInFull: p.harmonisedStandardsAppliedInFull,
      certificationRequiredByDelegatedAct: p.certificationRequiredByDelegatedAct,
      allowedProcedures: allowedProcedures(p.category, conditions).map((a) => ({ ...a, title: procedureTitles[a.procedure] })),
      route: p.route === null ? null : { procedure: p.route.value.procedure, assuranceLevel: p.route.value.assuranceLevel, chosenBy: p.route.by, chosenAt: p.route.at.toISOString() },
    },
    supportPeriod: {
      placedOnMarket: p.placedOnMarket,
      end: declaredEnd(p.supportUntil, p.supportUntilPrecision),
      endsAt: p.supportUntil.toISOString(),
      // Art 13(8): five years after placing on the market, unless the expected use time is shorter
      minimumEnd: placed ? day(addYears(placed.last, MINIMUM_SUPPORT_YEARS)) : null,
      justification: p.supportJustification === null ? null : { text: p.supportJustification.value, recordedBy: p.supportJustification.by, recordedAt: p.supportJustification.at.toISOString() },
    },
    retention: {
      // CRA Art 13(9): each security update, ten years after it is issued or to the support period's end, whichever is later
      securityUpdates: { issuedToday: day(updates.issuedNow), issuedAtSupportEnd: day(updates.issuedAtSupportEnd) },
      // CRA Art 13(13): technical documentation and EU declaration of conformity
      technicalDocumentation: placed ? day(technicalDocumentationRetentionUntil(placed, p.supportUntil)) : null,
    },
    // Art 14(2)(a), (4)(a): what Article 14 drafts pre-fill
    madeAvailable: p.memberStates === null ? null : { memberStates: p.memberStates.value, recordedBy: p.memberStates.by, recordedAt: p.memberStates.at.toISOString() },
    vulnerabilityHandling: {
      contact,
      contactFrom: p.vulnerabilityContact !== null ? 'product' : contact !== null ? 'installation' : null,
      cvdPolicyUrl: policy,
      preferredLanguages: p.preferredLanguages.length > 0 ? p.preferredLanguages : options.installation.preferredLanguages,
      securityTxtUrl: options.securityTxtUrl,
    },
    warnings,
  };
}
