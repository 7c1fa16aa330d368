import { Option, type Command } from 'commander';
import { apiPath } from '../api-client.ts';
import { usageError } from '../cli-error.ts';
import { clientFor } from '../connection.ts';
import { formatKeyValues, print, printJson, type Cell } from '../output.ts';

/** The client's view of GET /v1/products/{sku}/cra-profile (docs/design/api.md "CraProfile"). */
interface CraProfile {
  product: string;
  category: string;
  annexEntry: { id: string; title: string; source: string; technicalDescription: string; description: string | null } | null;
  conformity: {
    harmonisedStandardsAppliedInFull: boolean;
    certificationRequiredByDelegatedAct: boolean;
    allowedProcedures: { procedure: string; basis: string; minimumAssuranceLevel?: string }[];
    route: { procedure: string; assuranceLevel: string | null; chosenBy: string; chosenAt: string } | null;
  };
  supportPeriod: { placedOnMarket: string | null; end: string; minimumEnd: string | null; justification: { text: string; recordedBy: string; recordedAt: string } | null };
  retention: { securityUpdates: { issuedToday: string; issuedAtSupportEnd: string }; technicalDocumentation: string | null };
  madeAvailable: { memberStates: string[] | 'all-eu'; recordedBy: string; recordedAt: string } | null;
  vulnerabilityHandling: { contact: string | null; contactFrom: string | null; cvdPolicyUrl: string | null; preferredLanguages: string[]; securityTxtUrl: string };
  warnings: { code: string; message: string }[];
}

const categories = ['default', 'important-1', 'important-2', 'critical'];
const procedures = ['A', 'B+C', 'H', 'eu-certification'];
const assuranceLevels = ['basic', 'substantial', 'high'];

interface SetOptions {
  product: string;
  category?: string;
  annex?: string;
  placedOnMarket?: string;
  supportUntil?: string;
  justification?: string | false;
  contact?: string | false;
  cvdPolicy?: string | false;
  languages?: string | false;
  memberStates?: string | false;
  json?: boolean;
}

interface RouteOptions {
  product: string;
  procedure: string;
  assuranceLevel?: string;
  harmonisedStandardsAppliedInFull?: boolean;
  certificationRequired?: boolean;
  json?: boolean;
}

/** `product profile [show|set]` and `product route`: the product's CRA profile (docs/design/cra.md). */
export function registerCraProfileCommands(product: Command): void {
  const profile = product.command('profile').description('the CRA profile: category and Annex entry, conformity route, support period, vulnerability contact');

  profile
    .command('show', { isDefault: true })
    .description('show the profile, what follows from it (allowed procedures, retention dates) and what it lacks')
    .requiredOption('--product <sku>', 'the product')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; json?: boolean }, cmd: Command) => {
      const answer = await (await clientFor(cmd)).getJson<CraProfile>(apiPath`/v1/products/${o.product}/cra-profile`);
      if (o.json === true) printJson(answer);
      else print(formatCraProfile(answer));
    });

  profile
    .command('set')
    .description('change fields of the profile; fields not given are kept')
    .requiredOption('--product <sku>', 'the product')
    .addOption(new Option('--category <category>', 'the CRA category (an Annex entry implies it; default drops the entry)').choices(categories))
    .option('--annex <id>', 'the Annex III or IV entry, e.g. III-I-12 (Annex III class I point 12), III-II-2, IV-1')
    .option('--placed-on-market <date>', 'when the product is placed on the market: YYYY-MM or YYYY-MM-DD')
    .option('--support-until <date>', 'end of the support period: YYYY-MM (its last day) or YYYY-MM-DD')
    .option('--justification <text>', 'why the support period is under five years (CRA Art 13(8))')
    .option('--no-justification', 'withdraw the justification')
    .option('--contact <uri>', 'contact point for vulnerability reports: mailto:address or https://')
    .option('--no-contact', "remove the product's contact (the installation's applies)")
    .option('--cvd-policy <url>', 'the coordinated vulnerability disclosure policy, https://')
    .option('--no-cvd-policy', "remove the product's policy")
    .option('--languages <tags>', 'languages for reports, e.g. en,de')
    .option('--no-languages', "remove the product's languages")
    .option('--member-states <codes>', 'where the product is made available (CRA Art 14): EU/EEA codes, e.g. DE,FR,EL (GR is taken as EL), or all-eu')
    .option('--no-member-states', 'withdraw where the product is made available')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: SetOptions, cmd: Command) => {
      const body: Record<string, unknown> = {};
      if (o.category !== undefined) body.category = o.category;
      if (o.annex !== undefined) body.annexEntry = o.annex;
      if (o.placedOnMarket !== undefined) body.placedOnMarket = o.placedOnMarket;
      if (o.supportUntil !== undefined) body.supportUntil = o.supportUntil;
      if (o.justification !== undefined) body.supportPeriodJustification = o.justification === false ? null : o.justification;
      if (o.contact !== undefined) body.vulnerabilityContact = o.contact === false ? null : o.contact;
      if (o.cvdPolicy !== undefined) body.cvdPolicyUrl = o.cvdPolicy === false ? null : o.cvdPolicy;
      if (o.languages !== undefined) body.preferredLanguages = o.languages === false ? null : o.languages.split(',').map((t) => t.trim());
      if (o.memberStates !== undefined) body.memberStates = o.memberStates === false ? null : o.memberStates.trim() === 'all-eu' ? 'all-eu' : o.memberStates.split(',').map((c) => c.trim());
      if (Object.keys(body).length === 0) throw usageError('nothing to change: give at least one field (see --help)');
      await send(cmd, o, body);
    });

  product
    .command('route')
    .description('choose the conformity assessment procedure (CRA Art 32); the flags state the conditions it stands on')
    .requiredOption('--product <sku>', 'the product')
    .addOption(new Option('--procedure <procedure>', 'module A, B+C, H, or a European cybersecurity certificate').choices(procedures).makeOptionMandatory())
    .addOption(new Option('--assurance-level <level>', "the certificate's assurance level (with eu-certification)").choices(assuranceLevels))
    .option('--harmonised-standards-applied-in-full', 'harmonised standards, common specifications or a certification scheme (substantial or higher) applied in full (Art 32(2))')
    .option('--certification-required', 'a delegated act requires a European cybersecurity certificate for the product (Art 8(1))')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: RouteOptions, cmd: Command) => {
      await send(cmd, o, {
        route: { procedure: o.procedure, ...(o.assuranceLevel === undefined ? {} : { assuranceLevel: o.assuranceLevel }) },
        harmonisedStandardsAppliedInFull: o.harmonisedStandardsAppliedInFull === true,
        certificationRequiredByDelegatedAct: o.certificationRequired === true,
      });
    });
}

async function send(cmd: Command, o: { product: string; json?: boolean }, body: Record<string, unknown>): Promise<void> {
  const answer = await (await clientFor(cmd)).patchJson<CraProfile>(apiPath`/v1/products/${o.product}/cra-profile`, body);
  if (o.json === true) printJson(answer);
  else print(formatCraProfile(answer));
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

export function formatCraProfile(p: CraProfile): string {
  const { conformity: c, supportPeriod: s, retention: r, vulnerabilityHandling: v } = p;
  const entries: [string, Cell][] = [
    ['product', p.product],
    ['category', p.category],
    ['annex entry', p.annexEntry && `${p.annexEntry.id} ${p.annexEntry.title}`],
    ['annex source', p.annexEntry?.source],
    ['technical description', p.annexEntry?.technicalDescription],
    // a summary, not the Regulation's text; null: the point was not read (docs/design/cra.md "Data sources")
    ['what decides it', p.annexEntry && (p.annexEntry.description ?? 'not summarised here: read the point cited above')],
    ['allowed procedures', c.allowedProcedures.map((a) => (a.minimumAssuranceLevel ? `${a.procedure} (${a.minimumAssuranceLevel} or higher)` : a.procedure)).join(', ')],
    ['conditions', `harmonised standards applied in full: ${yesNo(c.harmonisedStandardsAppliedInFull)}; certificate required by delegated act: ${yesNo(c.certificationRequiredByDelegatedAct)}`],
    ['route', c.route && `${c.route.procedure}${c.route.assuranceLevel ? ` (${c.route.assuranceLevel})` : ''}, chosen by ${c.route.chosenBy} at ${c.route.chosenAt}`],
    ['placed on market', s.placedOnMarket],
    ['support until', s.end],
    ['five years after placing', s.minimumEnd],
    ['justification', s.justification && `${s.justification.text} (${s.justification.recordedBy}, ${s.justification.recordedAt})`],
    ['security updates kept', `${r.securityUpdates.issuedToday} if issued today; ${r.securityUpdates.issuedAtSupportEnd} if issued at the end of support (Art 13(9))`],
    ['documentation kept', r.technicalDocumentation && `${r.technicalDocumentation} (Art 13(13))`],
    ['made available in', p.madeAvailable && `${p.madeAvailable.memberStates === 'all-eu' ? 'all EU Member States' : p.madeAvailable.memberStates.join(', ')} (recorded by ${p.madeAvailable.recordedBy} at ${p.madeAvailable.recordedAt})`],
    ['contact', v.contact && (v.contactFrom === 'installation' ? `${v.contact} (the installation's)` : v.contact)],
    ['CVD policy', v.cvdPolicyUrl],
    ['languages', v.preferredLanguages.join(', ')],
    ['security.txt', v.securityTxtUrl],
    ...(p.warnings.length === 0 ? [['warnings', null] as [string, Cell]] : p.warnings.map((w): [string, Cell] => ['warning', `${w.code}: ${w.message}`])),
  ];
  return formatKeyValues(entries);
}
