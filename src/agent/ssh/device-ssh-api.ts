import { DeviceApiConnection, type DeviceApiOptions } from '../device-api-connection.ts';
import { malformed } from '../update/device-api-answers.ts';

/**
 * The SSH calls of the device API (docs/design/ssh-contract.md), on the device listener with
 * mutual TLS. Answers are attacker-controlled (a compromised or impersonated server): each has a
 * size limit and is shape-checked here; what the fields mean (keys, certificates, the KRL) is
 * checked by src/ssh before anything is written.
 */
export interface SshConfigAnswer {
  /** authorized_keys-format lines, current CA first */
  readonly userCaKeys: readonly string[];
  /** `device:<sku>:<serial>` then `tag:<tag>` for each tag */
  readonly principals: readonly string[];
  readonly krlRefreshSeconds: number;
}

export interface HostCertificateAnswer {
  readonly certificate: string;
  readonly validBefore: string;
  readonly hostCaKey: string;
}

/** One sshd login the agent saw (contract: `POST …/ssh/logins`). */
export interface LoginReport {
  readonly keyId: string;
  /** decimal uint64 */
  readonly serial: string;
  /** ISO 8601 */
  readonly at: string;
  /** the client's address */
  readonly source: string;
}

export interface SshDeviceApi {
  config(): Promise<SshConfigAnswer>;
  krl(): Promise<Buffer>;
  hostCertificate(publicKeyLine: string): Promise<HostCertificateAnswer>;
  /** at most MAX_LOGINS_PER_REPORT */
  reportLogins(logins: readonly LoginReport[]): Promise<{ recorded: number }>;
}

export const MAX_LOGINS_PER_REPORT = 100;
const MAX_CONFIG_ANSWER_BYTES = 256 * 1024;
/** A KRL of a million revoked serials spread over 2^24 is ~2 MiB; the transport stops at 4 MiB. */
const MAX_CERTIFICATE_ANSWER_BYTES = 64 * 1024;
const MAX_LOGINS_ANSWER_BYTES = 4 * 1024;
const MAX_LINE_CHARS = 16 * 1024;
const MAX_ENTRIES = 1024;

function lines(v: unknown, field: string, maxEntries = MAX_ENTRIES): string[] {
  if (!Array.isArray(v) || v.length > maxEntries || !v.every((x) => typeof x === 'string' && x.length > 0 && x.length <= MAX_LINE_CHARS && !/[\r\n]/.test(x)))
    throw malformed(`ssh config: "${field}" is not a list of one-line strings`);
  return v as string[];
}

function line(o: Record<string, unknown>, field: string, what: string): string {
  const v = o[field];
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_LINE_CHARS || /[\r\n]/.test(v)) throw malformed(`${what}: "${field}" is missing or malformed`);
  return v;
}

export function parseSshConfigAnswer(o: Record<string, unknown>): SshConfigAnswer {
  const seconds = o.krlRefreshSeconds;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 10 || seconds > 86_400)
    throw malformed('ssh config: "krlRefreshSeconds" is not a whole number of seconds from 10 to 86400');
  return { userCaKeys: lines(o.userCaKeys, 'userCaKeys', 16), principals: lines(o.principals, 'principals'), krlRefreshSeconds: seconds };
}

export function parseHostCertificateAnswer(o: Record<string, unknown>): HostCertificateAnswer {
  return { certificate: line(o, 'certificate', 'host certificate'), validBefore: line(o, 'validBefore', 'host certificate'), hostCaKey: line(o, 'hostCaKey', 'host certificate') };
}

export class DeviceSshApi implements SshDeviceApi {
  readonly #api: DeviceApiConnection;

  constructor(options: DeviceApiOptions) {
    this.#api = new DeviceApiConnection(options, 'ssh');
  }

  async config(): Promise<SshConfigAnswer> {
    return parseSshConfigAnswer(await this.#api.json('GET', 'config', undefined, [200], MAX_CONFIG_ANSWER_BYTES));
  }

  /** The product's binary KRL (checked by the caller with parseKrl before it replaces anything). */
  async krl(): Promise<Buffer> {
    return (await this.#api.call('GET', 'krl', undefined, 'application/octet-stream', [200])).body;
  }

  async hostCertificate(publicKeyLine: string): Promise<HostCertificateAnswer> {
    const body = JSON.stringify({ publicKey: publicKeyLine });
    return parseHostCertificateAnswer(await this.#api.json('POST', 'host-certificate', body, [200, 201], MAX_CERTIFICATE_ANSWER_BYTES));
  }

  async reportLogins(logins: readonly LoginReport[]): Promise<{ recorded: number }> {
    const o = await this.#api.json('POST', 'logins', JSON.stringify({ logins }), [200, 201, 202], MAX_LOGINS_ANSWER_BYTES);
    if (typeof o.recorded !== 'number' || !Number.isInteger(o.recorded) || o.recorded < 0) throw malformed('logins: "recorded" is not a count');
    return { recorded: o.recorded };
  }

  close(): void {
    this.#api.close();
  }
}
