import type { CvssV3 } from './cvss-v3.ts';

/**
 * The parts of a CSAF 2.0 document trustplane writes (OASIS CSAF 2.0, §3.2), named as the standard
 * names them. Only what is written is typed; the validator checks the whole.
 */

/** §4.3 and §4.5: the two profiles published. */
export const csafProfiles = ['csaf_vex', 'csaf_security_advisory'] as const;
export type CsafProfile = (typeof csafProfiles)[number];

/**
 * §3.2.1.12.5 document status. `draft` is internal (the standard's words): a draft is validated
 * and answered, never stored or published; `interim` and `final` are published.
 */
export const csafStatuses = ['final', 'interim', 'draft'] as const;
export type CsafStatus = (typeof csafStatuses)[number];

export type ProductStatusCategory = 'known_affected' | 'known_not_affected' | 'fixed' | 'under_investigation';

export interface CsafNote {
  category: 'description' | 'details' | 'faq' | 'general' | 'legal_disclaimer' | 'other' | 'summary';
  text: string;
  title?: string;
}

export interface CsafReference {
  category?: 'external' | 'self';
  summary: string;
  url: string;
}

export interface CsafPublisher {
  category: 'vendor';
  name: string;
  namespace: string;
}

export interface CsafRevision {
  date: string;
  number: string;
  summary: string;
}

export interface CsafTracking {
  id: string;
  status: CsafStatus;
  version: string;
  revision_history: CsafRevision[];
  initial_release_date: string;
  current_release_date: string;
  generator: { engine: { name: string; version: string }; date: string };
}

export interface CsafFullProductName {
  product_id: string;
  name: string;
  product_identification_helper: { purl: string };
}

export interface CsafBranch {
  category: 'vendor' | 'product_name' | 'product_version';
  name: string;
  branches?: CsafBranch[];
  product?: CsafFullProductName;
}

export interface CsafVulnerability {
  cve?: string;
  ids?: { system_name: string; text: string }[];
  title?: string;
  notes: CsafNote[];
  release_date?: string;
  references?: CsafReference[];
  product_status: Partial<Record<ProductStatusCategory, string[]>>;
  flags?: { label: string; product_ids: string[] }[];
  threats?: { category: 'impact' | 'exploit_status'; details: string; date?: string; product_ids?: string[] }[];
  remediations?: { category: 'vendor_fix' | 'none_available'; details: string; product_ids: string[] }[];
  scores?: { products: string[]; cvss_v3: CvssV3 }[];
}

export interface CsafDocument {
  document: {
    category: CsafProfile;
    csaf_version: '2.0';
    title: string;
    lang: 'en';
    publisher: CsafPublisher;
    distribution: { tlp: { label: 'WHITE'; url: string } };
    notes: CsafNote[];
    references: CsafReference[];
    tracking: CsafTracking;
  };
  product_tree: { branches: CsafBranch[] };
  vulnerabilities: CsafVulnerability[];
}
