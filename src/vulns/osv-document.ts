import { createHash } from 'node:crypto';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import canonicalize from 'canonicalize';
import { TrustplaneError } from '../core/errors.ts';
import { ecosystemOf } from './ecosystems.ts';
import { eventVersion, type RangeEvent, type VersionRange } from './osv-range.ts';
import osvSchema from './osv-schema.json' with { type: 'json' };
import type { PurlKey } from './purl-key.ts';
import type { VulnerabilityDescription } from './vulnerability.types.ts';
import { goOrdering, semverOrdering, type VersionOrdering } from './version-order.ts';

/** What an OSV advisory says, as matching reads it; `document` is kept as given for display and export. */
export interface OsvAdvisory extends VulnerabilityDescription {
  affected: AffectedEntry[];
  document: Record<string, unknown>;
  /** SHA-256 of the document's RFC 8785 canonical JSON, lowercase hex: which text was imported */
  sha256: string;
}

/** One affected[] entry. An ecosystem trustplane does not cover is kept, with `key` null: it matches nothing. */
export interface AffectedEntry {
  ecosystem: string;
  name: string;
  key: PurlKey | null;
  /** Debian:12 → '12' */
  release: string | null;
  /** SEMVER and ECOSYSTEM ranges (GIT ranges need the repository's history: not evaluated) */
  ranges: VersionRange[];
  versions: string[];
}

/** An advisory id: OSV's prefixes grow with every new database, so the alphabet is checked, not the list. */
export const VULNERABILITY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:+-]{0,127}$/;
const MAX_JSON_DEPTH = 64;
const MAX_AFFECTED = 10_000;
const MAX_VERSIONS = 100_000;

/**
 * The OSV schema (ossf/osv-schema validation/schema.json, vendored as osv-schema.json, commit
 * 2a6a0b9, schema 1.7), with two of its lists read as alphabets instead: the ecosystems (an ecosystem
 * added after the vendoring is kept and reported as not covered, rather than refusing the advisory)
 * and the id prefixes (new databases appear every few months).
 */
let validator: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  if (validator) return validator;
  const schema = structuredClone(osvSchema) as { $defs: Record<string, unknown> };
  schema.$defs.ecosystemWithSuffix = { type: 'string', minLength: 1, maxLength: 200 };
  schema.$defs.prefix = { type: 'string', pattern: VULNERABILITY_ID_PATTERN.source };
  validator = new Ajv2020({ strict: false, validateFormats: false, allErrors: false }).compile(schema);
  return validator;
}

/** An OSV file's text (attacker-controlled): JSON, or OSV_MALFORMED. */
export function parseOsvText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TrustplaneError('OSV_MALFORMED', `not well-formed JSON: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Checks an OSV document (attacker-controlled, already parsed JSON) against the OSV schema and
 * what matching needs of it; every refusal is OSV_INVALID naming where (a JSON pointer).
 */
export function parseOsvDocument(value: unknown): OsvAdvisory {
  checkDepth(value);
  const validate = schemaValidator();
  if (!validate(value)) throw schemaError(validate.errors?.[0]);
  const doc = value as OsvJson;
  const affected = (doc.affected ?? []).map((a, i) => affectedEntry(a, `/affected/${i}`));
  if (affected.length > MAX_AFFECTED) invalid('/affected', `more than ${MAX_AFFECTED} affected entries`);
  const text = canonicalize(doc) ?? '';
  return {
    id: doc.id,
    modified: timestamp(doc.modified, '/modified'),
    published: doc.published === undefined ? null : timestamp(doc.published, '/published'),
    withdrawn: doc.withdrawn === undefined ? null : timestamp(doc.withdrawn, '/withdrawn'),
    summary: doc.summary ?? null,
    details: doc.details ?? null,
    aliases: doc.aliases ?? [],
    affected,
    document: doc as unknown as Record<string, unknown>,
    sha256: createHash('sha256').update(text).digest('hex'),
  };
}

function affectedEntry(a: OsvAffected, at: string): AffectedEntry {
  const pkg = a.package;
  const versions = a.versions ?? [];
  if (versions.length > MAX_VERSIONS) invalid(`${at}/versions`, `more than ${MAX_VERSIONS} versions`);
  if (!pkg) return { ecosystem: '', name: '', key: null, release: null, ranges: [], versions };
  const covered = ecosystemOf(pkg.ecosystem);
  const entry: AffectedEntry = { ecosystem: pkg.ecosystem, name: pkg.name, key: null, release: covered?.release ?? null, ranges: [], versions };
  if (!covered) return entry;
  entry.key = covered.ecosystem.keyOf(pkg.name) ?? invalid(`${at}/package/name`, `${JSON.stringify(pkg.name)} is not a ${covered.ecosystem.name} package name`);
  (a.ranges ?? []).forEach((r, j) => {
    if (r.type === 'GIT') return;
    const order = rangeOrdering(r.type, covered.ecosystem.name, covered.ecosystem.ordering);
    entry.ranges.push({ type: r.type, events: checkedEvents(r.events, order, `${at}/ranges/${j}/events`) });
  });
  return entry;
}

/** SEMVER ranges are SemVer 2.0 whatever the ecosystem (OSV schema); Go's versions carry a `v`. */
export function rangeOrdering(type: 'SEMVER' | 'ECOSYSTEM', ecosystem: string, ecosystemOrdering: VersionOrdering): VersionOrdering {
  if (type === 'ECOSYSTEM') return ecosystemOrdering;
  return ecosystem === 'Go' ? goOrdering : semverOrdering;
}

// OSV schema, affected[].ranges[].events, Requirements: one kind per event, an introduced event,
// not both fixed and last_affected; each version one of the ordering's (else nothing can be decided).
function checkedEvents(events: OsvEvent[], order: VersionOrdering, at: string): RangeEvent[] {
  const checked = events.map((e, k): RangeEvent => {
    if (e.introduced !== undefined) return { introduced: e.introduced };
    if (e.fixed !== undefined) return { fixed: e.fixed };
    if (e.last_affected !== undefined) return { last_affected: e.last_affected };
    if (e.limit !== undefined) return { limit: e.limit };
    return invalid(`${at}/${k}`, 'an event must be introduced, fixed, last_affected or limit');
  });
  if (checked.some((e) => 'fixed' in e) && checked.some((e) => 'last_affected' in e)) invalid(at, 'a range has fixed or last_affected events, not both');
  checked.forEach((e, k) => {
    const v = eventVersion(e);
    const special = ('introduced' in e && v === '0') || ('limit' in e && v.includes('*'));
    if (!special && !order.accepts(v)) invalid(`${at}/${k}`, `${JSON.stringify(v.slice(0, 80))} is not a version of ${order.name}`);
  });
  return checked;
}

function timestamp(value: string, at: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) invalid(at, `${JSON.stringify(value)} is not a date and time`);
  return d;
}

/** Iterative, so that a document's own depth cannot exhaust the stack (the canonical JSON recurses). */
function checkDepth(document: unknown): void {
  const pending: [unknown, number][] = [[document, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, depth] = next;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_JSON_DEPTH) invalid('/', `the document nests deeper than ${MAX_JSON_DEPTH} levels`);
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
}

function schemaError(e: ErrorObject | undefined): TrustplaneError {
  const where = e?.instancePath ? e.instancePath : '/';
  return new TrustplaneError('OSV_INVALID', `not a valid OSV document: ${where}: ${e?.message ?? 'does not match the OSV schema'}`, { details: { pointer: where } });
}

function invalid(pointer: string, what: string): never {
  throw new TrustplaneError('OSV_INVALID', `not a valid OSV document: ${pointer}: ${what}`, { details: { pointer } });
}

// Only the fields read; the schema has checked their types.
interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}
interface OsvAffected {
  package?: { ecosystem: string; name: string; purl?: string };
  ranges?: { type: 'GIT' | 'SEMVER' | 'ECOSYSTEM'; events: OsvEvent[] }[];
  versions?: string[];
}
interface OsvJson {
  id: string;
  modified: string;
  published?: string;
  withdrawn?: string;
  summary?: string;
  details?: string;
  aliases?: string[] | null;
  affected?: OsvAffected[] | null;
}
