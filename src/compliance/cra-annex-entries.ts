import type { CraClass } from '../pki/records.types.ts';
import { type DescriptionSourceId, pointSummaries } from './cra-annex-descriptions.ts';

/**
 * The product categories of Regulation (EU) 2024/2847 (the Cyber Resilience Act), Annex III
 * (important products, classes I and II) and Annex IV (critical products), each with its title as
 * the Official Journal prints it (footnote markers left out) and where it comes from.
 *
 * The technical description of each category — what decides whether a product has its core
 * functionality (Art 7(1), Art 8(1)) — is in Commission Implementing Regulation (EU) 2025/2392:
 * its Annex I for Annex III, its Annex II for Annex IV, one point per category, numbered as the
 * Regulation's own. Each entry cites its point (`technicalDescription`) and carries `description`:
 * a summary in our words of what the point makes decisive (cra-annex-descriptions.ts), with the copies
 * of the Regulation it was checked against, or null where the point's text could not be read
 * (docs/design/cra.md "Data sources"). The binding text is the Official Journal's.
 */
export interface AnnexEntry {
  /** `III-I-13`: Annex III class I point 13; `III-II-2`; `IV-3`: Annex IV point 3. */
  readonly id: string;
  readonly annex: 'III' | 'IV';
  /** Annex III's class; null for Annex IV */
  readonly class: 'I' | 'II' | null;
  readonly point: number;
  /** the product category this entry makes a product */
  readonly category: Exclude<CraClass, 'default'>;
  readonly title: string;
  /** the provision, e.g. `Regulation (EU) 2024/2847, Annex III, class I, point 13` */
  readonly source: string;
  /** the point of Implementing Regulation (EU) 2025/2392 that describes the category */
  readonly technicalDescription: string;
  /**
   * What that point makes decisive — the core functionality that puts a product in the category —
   * summarised in our words (not the Regulation's text); where only part of the point was read
   * (`partlyDescribed`), its last sentence names the part it leaves out; null: the point was not read.
   */
  readonly description: string | null;
  /** the copies of Implementing Regulation (EU) 2025/2392 `description` was checked against (`descriptionSources`); empty when it is null */
  readonly checkedAgainst: readonly DescriptionSourceId[];
}

export const CRA_OJ_REFERENCE = 'OJ L, 2024/2847, 20.11.2024';
export const CRA_ELI = 'http://data.europa.eu/eli/reg/2024/2847/oj';
export const TECHNICAL_DESCRIPTIONS_OJ_REFERENCE = 'OJ L, 2025/2392, 1.12.2025';
export const TECHNICAL_DESCRIPTIONS_ELI = 'http://data.europa.eu/eli/reg_impl/2025/2392/oj';

// Regulation (EU) 2024/2847, Annex III, class I, points 1-19.
const annexIIIClassI = [
  'Identity management systems and privileged access management software and hardware, including authentication and access control readers, including biometric readers',
  'Standalone and embedded browsers',
  'Password managers',
  'Software that searches for, removes, or quarantines malicious software',
  'Products with digital elements with the function of virtual private network (VPN)',
  'Network management systems',
  'Security information and event management (SIEM) systems',
  'Boot managers',
  'Public key infrastructure and digital certificate issuance software',
  'Physical and virtual network interfaces',
  'Operating systems',
  'Routers, modems intended for the connection to the internet, and switches',
  'Microprocessors with security-related functionalities',
  'Microcontrollers with security-related functionalities',
  'Application specific integrated circuits (ASIC) and field-programmable gate arrays (FPGA) with security-related functionalities',
  'Smart home general purpose virtual assistants',
  'Smart home products with security functionalities, including smart door locks, security cameras, baby monitoring systems and alarm systems',
  'Internet connected toys covered by Directive 2009/48/EC of the European Parliament and of the Council that have social interactive features (e.g. speaking or filming) or that have location tracking features',
  'Personal wearable products to be worn or placed on a human body that have a health monitoring (such as tracking) purpose and to which Regulation (EU) 2017/745 or (EU) 2017/746 do not apply, or personal wearable products that are intended for the use by and for children',
] as const;

// Regulation (EU) 2024/2847, Annex III, class II, points 1-4.
const annexIIIClassII = [
  'Hypervisors and container runtime systems that support virtualised execution of operating systems and similar environments',
  'Firewalls, intrusion detection and prevention systems',
  'Tamper-resistant microprocessors',
  'Tamper-resistant microcontrollers',
] as const;

// Regulation (EU) 2024/2847, Annex IV, points 1-3.
const annexIV = [
  'Hardware Devices with Security Boxes',
  'Smart meter gateways within smart metering systems as defined in Article 2, point (23) of Directive (EU) 2019/944 of the European Parliament and of the Council and other devices for advanced security purposes, including for secure cryptoprocessing',
  'Smartcards or similar devices, including secure elements',
] as const;

/**
 * Entries whose summary covers only part of their point; each such summary ends by naming the part it
 * leaves out. None now: every point was read whole (docs/design/cra.md "Data sources").
 */
export const partlyDescribed: readonly string[] = Object.freeze([]);

export const annexEntries: readonly AnnexEntry[] = Object.freeze([
  ...annexIIIClassI.map((title, i) =>
    entry({ id: `III-I-${i + 1}`, annex: 'III', class: 'I', point: i + 1, category: 'important-1', title }),
  ),
  ...annexIIIClassII.map((title, i) =>
    entry({ id: `III-II-${i + 1}`, annex: 'III', class: 'II', point: i + 1, category: 'important-2', title }),
  ),
  ...annexIV.map((title, i) =>
    entry({ id: `IV-${i + 1}`, annex: 'IV', class: null, point: i + 1, category: 'critical', title }),
  ),
]);

function entry(e: Omit<AnnexEntry, 'source' | 'technicalDescription' | 'description' | 'checkedAgainst'>): AnnexEntry {
  const where = e.annex === 'IV' ? `Annex IV, point ${e.point}` : `Annex III, class ${e.class}, point ${e.point}`;
  // Implementing Regulation (EU) 2025/2392: Annex I (important products) by class, Annex II (critical products); points numbered as the CRA's
  const described = e.annex === 'IV' ? `Annex II, point ${e.point}` : `Annex I, Class ${e.class}, point ${e.point}`;
  return Object.freeze({
    ...e,
    source: `Regulation (EU) 2024/2847 (${CRA_OJ_REFERENCE}), ${where}`,
    technicalDescription: `Commission Implementing Regulation (EU) 2025/2392 (${TECHNICAL_DESCRIPTIONS_OJ_REFERENCE}), ${described}`,
    description: pointSummaries[e.id]?.text ?? null,
    checkedAgainst: pointSummaries[e.id]?.checkedAgainst ?? [],
  });
}

const byId = new Map(annexEntries.map((e) => [e.id, e]));

export function findAnnexEntry(id: string): AnnexEntry | undefined {
  return byId.get(id);
}
