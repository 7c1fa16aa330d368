import type { ClaimDigest, DeviceClaims } from '../../attestation/claims/index.ts';
import { AgentError } from '../agent-error.ts';

/** What the device states about itself for a claims token: everything but the nonce and its serial. */
export type DeviceStateClaims = Omit<DeviceClaims, 'nonce' | 'serial'>;

/** The file the boot chain (or the firmware's installer) writes; small: a few digests. */
const MAX_CLAIMS_FILE_BYTES = 64 * 1024;
const digestHexLength = { sha256: 64, sha384: 96, sha512: 128 } as const;

function invalid(what: string): AgentError {
  return new AgentError('usage', 'USAGE', `--claims: ${what} (docs/reference/agent.md, "attest --claims")`);
}

function digest(v: unknown, field: string): ClaimDigest {
  if (typeof v !== 'string') throw invalid(`${field} is "<sha256|sha384|sha512>:<hex>"`);
  const m = /^(sha256|sha384|sha512):([0-9a-f]+)$/.exec(v);
  const alg = m?.[1] as keyof typeof digestHexLength | undefined;
  if (alg === undefined || m![2]!.length !== digestHexLength[alg])
    throw invalid(`${field} is "<sha256|sha384|sha512>:<hex>" of the algorithm's length`);
  return { alg, value: new Uint8Array(Buffer.from(m![2]!, 'hex')) };
}

/**
 * `attest --claims <file>`: the running firmware's state as JSON —
 * `{ "version", "securityVersion", "firmwareDigest", "configurationDigest", "bootMeasurements": [] }`,
 * digests as `sha256:<hex>`. Unknown fields are refused, so a misspelt claim is not silently left out.
 */
export function parseDeviceStateClaims(text: string): DeviceStateClaims {
  if (text.length > MAX_CLAIMS_FILE_BYTES) throw invalid(`larger than ${MAX_CLAIMS_FILE_BYTES} bytes`);
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    throw invalid('not JSON');
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw invalid('not a JSON object');
  const r = o as Record<string, unknown>;
  const known = ['version', 'securityVersion', 'firmwareDigest', 'configurationDigest', 'bootMeasurements'];
  const unknown = Object.keys(r).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw invalid(`unknown field ${unknown[0]}`);
  if (typeof r.version !== 'string' || r.version === '') throw invalid('version is the running firmware version');
  if (!Number.isSafeInteger(r.securityVersion) || (r.securityVersion as number) < 0)
    throw invalid('securityVersion is a whole number from 0');
  if (!Array.isArray(r.bootMeasurements)) throw invalid('bootMeasurements is a list of digests, in boot order');
  return {
    version: r.version,
    securityVersion: r.securityVersion as number,
    firmwareDigest: digest(r.firmwareDigest, 'firmwareDigest'),
    configurationDigest: digest(r.configurationDigest, 'configurationDigest'),
    bootMeasurements: r.bootMeasurements.map((m, k) => digest(m, `bootMeasurements[${k}]`)),
  };
}
