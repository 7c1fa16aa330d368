import { DAY_MS } from '../core/clock.ts';
import { TrustplaneError } from '../core/errors.ts';
import type { InstallationSecurityContact } from './cra-context.ts';
import { declaredEnd } from './cra-dates.ts';
import type { CraProfileRecord } from './cra-profile.types.ts';

/**
 * security.txt (RFC 9116): where to report a vulnerability and under which disclosure policy — the
 * contact point and CVD policy of CRA Annex I Part II (5), (6), machine-readable. Made per request
 * from the stored profile, so Expires is always ahead; no I/O.
 */
export interface SecurityTxt {
  /** RFC 9116 §2.5.3: one or more, in order of preference */
  contacts: string[];
  /** RFC 9116 §2.5.5: required, once; recommended less than a year ahead */
  expires: Date;
  /** RFC 9116 §2.5.7 */
  policy: string | null;
  /** RFC 9116 §2.5.8 */
  preferredLanguages: string[];
  /** RFC 9116 §2.5.2: where this file is served; only an https:// URL may be named (null: none) */
  canonical: string | null;
  /** RFC 9116 §2.3 comments: printable ASCII */
  comments: string[];
}

/** Expires: half a year ahead, well inside RFC 9116's "less than a year". */
export const SECURITY_TXT_VALIDITY_DAYS = 180;

export function securityTxtExpires(now: Date): Date {
  return new Date(Math.floor((now.getTime() + SECURITY_TXT_VALIDITY_DAYS * DAY_MS) / 1000) * 1000);
}

/** The product's file: its own contact and policy, else the installation's; undefined when there is no contact at all. */
export function productSecurityTxt(p: CraProfileRecord, installation: InstallationSecurityContact, now: Date, url: string): SecurityTxt | undefined {
  const contact = p.vulnerabilityContact ?? installation.contact;
  if (contact === undefined) return undefined;
  return {
    contacts: [contact],
    expires: securityTxtExpires(now),
    policy: p.cvdPolicyUrl ?? installation.cvdPolicyUrl ?? null,
    preferredLanguages: p.preferredLanguages.length > 0 ? p.preferredLanguages : installation.preferredLanguages,
    canonical: canonicalFor(url),
    // CRA Art 13(19): the end of the support period, at least month and year
    comments: [`Vulnerability reports for product ${p.sku} (CRA Annex I Part II (5), (6))`, `Support period ends ${declaredEnd(p.supportUntil, p.supportUntilPrecision)}`],
  };
}

/** The installation's file (`/.well-known/security.txt`); undefined when no contact is configured. */
export function installationSecurityTxt(installation: InstallationSecurityContact, now: Date, url: string): SecurityTxt | undefined {
  if (installation.contact === undefined) return undefined;
  return {
    contacts: [installation.contact],
    expires: securityTxtExpires(now),
    policy: installation.cvdPolicyUrl ?? null,
    preferredLanguages: installation.preferredLanguages,
    canonical: canonicalFor(url),
    comments: ['Vulnerability reports for the products of this trustplane installation; each product has its own at /products/<sku>/security.txt'],
  };
}

/** RFC 9116 §2.5.2: a web URI in Canonical MUST begin with https:// — a server behind plain HTTP names none. */
function canonicalFor(url: string): string | null {
  return /^https:\/\//i.test(url) ? url : null;
}

const VCHAR = /^[\x21-\x7e]+$/;
const COMMENT = /^[\x20-\x7e]*$/;

/** The text of the file: comments, then `Field: value` lines (RFC 9116 §4 ABNF), LF line ends. */
export function renderSecurityTxt(s: SecurityTxt): string {
  if (s.contacts.length === 0) throw new TrustplaneError('INTERNAL', 'security.txt needs a Contact (RFC 9116 §2.5.3)');
  const lines = s.comments.map((c) => `# ${checked(c, COMMENT)}`);
  for (const contact of s.contacts) lines.push(`Contact: ${checked(contact, VCHAR)}`);
  lines.push(`Expires: ${s.expires.toISOString().replace(/\.\d{3}Z$/, 'Z')}`);
  if (s.policy !== null) lines.push(`Policy: ${checked(s.policy, VCHAR)}`);
  if (s.preferredLanguages.length > 0) lines.push(`Preferred-Languages: ${s.preferredLanguages.map((l) => checked(l, VCHAR)).join(', ')}`);
  if (s.canonical !== null) lines.push(`Canonical: ${checked(s.canonical, VCHAR)}`);
  return lines.join('\n') + '\n';
}

/** Values were validated when stored; a line break here would forge a field, so check again and fail closed. */
function checked(value: string, pattern: RegExp): string {
  if (!pattern.test(value)) throw new TrustplaneError('INTERNAL', 'a security.txt value is not printable ASCII');
  return value;
}
