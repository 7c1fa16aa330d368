import { Metadata, MetadataKind } from '@tufjs/models';
import { keyAlgorithmOf, publicKeyFromSpki } from '../../crypto/key-algorithm.ts';
import { MAX_BOOT_MANIFEST_BYTES } from '../../updates/boot-manifest/index.ts';
import { AgentError } from '../agent-error.ts';
import type { UpdateAssignment, UpdateTrust } from './update.types.ts';

/**
 * Parsers of the device API's update answers. Attacker-controlled input (a compromised or
 * impersonated server, a proxy): each answer has a size limit, every field is shape-checked,
 * and only the known fields are kept.
 */
export const MAX_TRUST_ANSWER_BYTES = 1024 * 1024;
export const MAX_ASSIGNMENT_ANSWER_BYTES = 128 * 1024;
export const MAX_REPORT_ANSWER_BYTES = 4 * 1024;

export function malformed(what: string): AgentError {
  return new AgentError('refused', 'DEVICE_API_ANSWER_MALFORMED', what);
}

export function parseJsonAnswer(body: Buffer, maxBytes: number, what: string): Record<string, unknown> {
  if (body.length > maxBytes) throw malformed(`${what}: answer larger than ${maxBytes} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw malformed(`${what}: the answer is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw malformed(`${what}: the answer is not a JSON object`);
  return parsed as Record<string, unknown>;
}

const visible = (max: number) => new RegExp(`^[!-~]{1,${max}}$`);
const text64 = visible(64);
const text128 = visible(128);
const targetSegment = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;
const base64 = /^[A-Za-z0-9+/]+={0,2}$/;

function text(o: Record<string, unknown>, field: string, pattern: RegExp, what: string): string {
  const v = o[field];
  if (typeof v !== 'string' || !pattern.test(v)) throw malformed(`${what}: "${field}" is missing or malformed`);
  return v;
}

function bytesOf(v: unknown, maxBytes: number, what: string): Buffer {
  if (typeof v !== 'string' || v.length > Math.ceil(maxBytes / 3) * 4 || !base64.test(v))
    throw malformed(`${what} is not base64 of at most ${maxBytes} bytes`);
  return Buffer.from(v, 'base64');
}

/** `{ product, repository, root, manifestKeys: { ed25519, mlDsa65 } }`. */
export function parseTrustAnswer(o: Record<string, unknown>, expectedProduct: string): UpdateTrust {
  const product = text(o, 'product', text64, 'update trust');
  if (product !== expectedProduct) throw malformed(`update trust is for product ${product}, not ${expectedProduct}`);
  return {
    product,
    repository: repositoryUrl(o.repository),
    root: selfSignedRoot(o.root),
    manifestKeys: manifestKeys(o.manifestKeys),
  };
}

function repositoryUrl(v: unknown): string {
  let url: URL;
  try {
    url = new URL(typeof v === 'string' && v.length <= 2048 ? v : '');
  } catch {
    throw malformed('update trust: "repository" is not a URL');
  }
  if (
    !/^https?:$/.test(url.protocol) ||
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    url.hash !== ''
  )
    throw malformed('update trust: "repository" must be a plain http(s) URL');
  return url.toString().replace(/\/+$/, '');
}

// TUF 5.2: the trusted root is self-signed by its own threshold; storing one that is not would
// only brick the device's updates, so it is refused here, before it is stored.
function selfSignedRoot(v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed('update trust: "root" is not an object');
  try {
    const root = Metadata.fromJSON(MetadataKind.Root, v as Parameters<typeof Metadata.fromJSON>[1]);
    root.verifyDelegate(MetadataKind.Root, root);
  } catch (e) {
    throw malformed(
      `update trust: "root" is not a self-signed TUF root (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  return v as Record<string, unknown>;
}

function manifestKeys(v: unknown): UpdateTrust['manifestKeys'] {
  if (typeof v !== 'object' || v === null) throw malformed('update trust: "manifestKeys" is missing');
  const o = v as Record<string, unknown>;
  const check = (field: 'ed25519' | 'mlDsa65', algorithm: 'ed25519' | 'ml-dsa-65'): string => {
    const der = bytesOf(o[field], 4096, `update trust: manifestKeys.${field}`);
    let ok = false;
    try {
      ok = keyAlgorithmOf(publicKeyFromSpki(der)) === algorithm;
    } catch {
      ok = false;
    }
    if (!ok) throw malformed(`update trust: manifestKeys.${field} is not an ${algorithm} public key`);
    return der.toString('base64');
  };
  return { ed25519: check('ed25519', 'ed25519'), mlDsa65: check('mlDsa65', 'ml-dsa-65') };
}

/** `{ assignment: null }` or `{ assignment: { serial, rolloutId, releaseId, targetName, version, securityVersion, kind, manifest } }`. */
export function parseAssignmentAnswer(o: Record<string, unknown>): UpdateAssignment | null {
  if (o.assignment === null) return null;
  const a = o.assignment;
  if (typeof a !== 'object' || a === undefined || Array.isArray(a)) throw malformed('"assignment" is missing');
  const r = a as Record<string, unknown>;
  const what = 'update assignment';
  const targetName = text(r, 'targetName', /^[!-~]{1,255}$/, what);
  if (!targetName.split('/').every((s) => targetSegment.test(s) && !s.startsWith('..')))
    throw malformed(`${what}: "targetName" is not a relative target path`);
  const securityVersion = r.securityVersion;
  if (
    !Number.isSafeInteger(securityVersion) ||
    (securityVersion as number) < 0 ||
    (securityVersion as number) > 0xffffffff
  )
    throw malformed(`${what}: "securityVersion" is not an integer 0 … 2^32−1`);
  if (r.kind !== 'firmware' && r.kind !== 'config') throw malformed(`${what}: "kind" is not firmware or config`);
  return {
    serial: text(r, 'serial', text64, what),
    rolloutId: text(r, 'rolloutId', text128, what),
    releaseId: text(r, 'releaseId', text128, what),
    targetName,
    version: text(r, 'version', text64, what),
    securityVersion: securityVersion as number,
    kind: r.kind,
    manifest: new Uint8Array(bytesOf(r.manifest, MAX_BOOT_MANIFEST_BYTES, `${what}: "manifest"`)),
  };
}

/** `{ recorded: boolean }`. */
export function parseReportAnswer(o: Record<string, unknown>): { recorded: boolean } {
  if (typeof o.recorded !== 'boolean') throw malformed('update report: "recorded" is not a boolean');
  return { recorded: o.recorded };
}
