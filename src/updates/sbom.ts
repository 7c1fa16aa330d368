import { createHash } from 'node:crypto';
import { JsonStrictValidator } from '@cyclonedx/cyclonedx-library/Validation';
import { Version } from '@cyclonedx/cyclonedx-library/Spec';
import { TrustplaneError } from '../core/errors.ts';

/** The CycloneDX versions a release's SBOM may declare. */
export type SbomSpecVersion = '1.5' | '1.6';

export interface SbomSummary {
  specVersion: SbomSpecVersion;
  serialNumber?: string;
  /** metadata.component: what the SBOM describes (the firmware itself) */
  component?: { name: string; version?: string; purl?: string };
  /** every entry of `components`, nested ones included */
  componentCount: number;
  /** of the bytes as uploaded, lowercase hex */
  sha256: string;
}

export const DEFAULT_MAX_SBOM_BYTES = 64 * 1024 * 1024;
/** Deeper JSON than any real SBOM; the schema validator recurses per level, so it is refused before. */
const MAX_JSON_DEPTH = 256;

const SUPPORTED: Record<string, Version> = { '1.5': Version.v1dot5, '1.6': Version.v1dot6 };

/**
 * Checks an uploaded SBOM (attacker-controlled bytes, at most `maxBytes`): CycloneDX 1.5 or 1.6
 * JSON, valid against that version's strict schema. Every refusal is a TrustplaneError SBOM_*.
 */
export async function checkSbom(bytes: Uint8Array, options: { maxBytes?: number } = {}): Promise<SbomSummary> {
  checkSize(bytes, options.maxBytes ?? DEFAULT_MAX_SBOM_BYTES);
  const text = decodeJson(bytes);
  const document = parseJson(text);
  const specVersion = declaredCycloneDxVersion(document);
  checkDepth(document);
  await checkSchema(text, specVersion);
  return summarise(document as CycloneDxDocument, specVersion, bytes);
}

function checkSize(bytes: Uint8Array, maxBytes: number): void {
  if (bytes.byteLength > maxBytes)
    throw new TrustplaneError('SBOM_TOO_LARGE', `The SBOM exceeds the limit of ${maxBytes} bytes`, {
      details: { maxBytes },
    });
}

/** RFC 8259 §8.1: JSON exchanged between systems is UTF-8; anything else is not JSON. */
function decodeJson(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (e) {
    throw new TrustplaneError('SBOM_MALFORMED', 'The SBOM is not UTF-8 text', { cause: e });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TrustplaneError('SBOM_MALFORMED', `The SBOM is not well-formed JSON: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

function declaredCycloneDxVersion(document: unknown): SbomSpecVersion {
  const { bomFormat, specVersion } = isObject(document) ? document : {};
  if (bomFormat !== 'CycloneDX')
    throw new TrustplaneError('SBOM_VERSION_UNSUPPORTED', 'The document is not a CycloneDX BOM (bomFormat)');
  if (typeof specVersion !== 'string' || !Object.hasOwn(SUPPORTED, specVersion)) {
    throw new TrustplaneError(
      'SBOM_VERSION_UNSUPPORTED',
      `CycloneDX specVersion ${JSON.stringify(specVersion)} is not supported; use 1.5 or 1.6`,
    );
  }
  return specVersion as SbomSpecVersion;
}

/** Walks the document without recursion, so that its own depth cannot exhaust the stack. */
function checkDepth(document: unknown): void {
  const pending: [unknown, number][] = [[document, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, depth] = next;
    if (!isObject(value) && !Array.isArray(value)) continue;
    if (depth > MAX_JSON_DEPTH)
      throw new TrustplaneError('SBOM_INVALID', `The SBOM nests deeper than ${MAX_JSON_DEPTH} levels`);
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
}

/** One validator per version: building one loads and compiles the schemas (~0.3 s), so it is kept. */
const validators = new Map<SbomSpecVersion, JsonStrictValidator>();

export function schemaValidator(version: SbomSpecVersion): JsonStrictValidator {
  let validator = validators.get(version);
  if (!validator) {
    validator = new JsonStrictValidator(SUPPORTED[version]!);
    validators.set(version, validator);
  }
  return validator;
}

/** CycloneDX's own strict JSON schema for the declared version; the first error names where and what. */
async function checkSchema(text: string, version: SbomSpecVersion): Promise<void> {
  const errors: unknown = await schemaValidator(version).validate(text);
  if (errors === null) return;
  const first: SchemaError = (Array.isArray(errors) ? errors[0] : errors) as SchemaError;
  const where = typeof first?.instancePath === 'string' && first.instancePath !== '' ? first.instancePath : '/';
  const extra = typeof first?.params?.additionalProperty === 'string' ? ` (${first.params.additionalProperty})` : '';
  const what = `${typeof first?.message === 'string' ? first.message : 'does not match the schema'}${extra}`;
  throw new TrustplaneError('SBOM_INVALID', `The SBOM is not valid CycloneDX ${version}: ${where}: ${what}`, {
    details: { pointer: where },
  });
}

interface SchemaError {
  instancePath?: unknown;
  message?: unknown;
  params?: { additionalProperty?: unknown };
}

/** Only the fields the summary reads; the schema has checked their types. */
interface CycloneDxComponent {
  name: string;
  version?: string;
  purl?: string;
  components?: CycloneDxComponent[];
}
interface CycloneDxDocument {
  serialNumber?: string;
  metadata?: { component?: CycloneDxComponent };
  components?: CycloneDxComponent[];
}

function summarise(document: CycloneDxDocument, specVersion: SbomSpecVersion, bytes: Uint8Array): SbomSummary {
  const summary: SbomSummary = {
    specVersion,
    componentCount: countComponents(document.components),
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  if (document.serialNumber !== undefined) summary.serialNumber = document.serialNumber;
  const subject = document.metadata?.component;
  if (subject) {
    summary.component = { name: subject.name };
    if (subject.version !== undefined) summary.component.version = subject.version;
    if (subject.purl !== undefined) summary.component.purl = subject.purl;
  }
  return summary;
}

function countComponents(top: CycloneDxComponent[] | undefined): number {
  let count = 0;
  const pending = [...(top ?? [])];
  for (let c = pending.pop(); c; c = pending.pop()) {
    count++;
    pending.push(...(c.components ?? []));
  }
  return count;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
