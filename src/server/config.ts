import { isKeyAlgorithm, type KeyAlgorithm } from '../crypto/key-algorithm.ts';
import { noInstallationContact, type InstallationSecurityContact } from '../compliance/cra-context.ts';
import { parseContactUri, parseHttpsUrl, parseLanguageTags } from '../compliance/vulnerability-contact.ts';

/** Server configuration: typed defaults merged once with the environment and flags, then frozen. */
export interface ServerConfig {
  home: string;
  listenHost: string;
  listenPort: number;
  /** the EST (RFC 7030) HTTPS listener; undefined: off */
  estListen: { host: string; port: number } | undefined;
  /** undefined: derived from the listening address */
  publicUrl: string | undefined;
  databaseUrl: string | undefined;
  kekBase64: string | undefined;
  organization: string;
  rootKeyAlgorithm: KeyAlgorithm;
  tokenMaxTtlSeconds: number;
  crlValiditySeconds: number;
  ocspValiditySeconds: number;
  /** Cache-Control max-age bound of CRL answers (never past nextUpdate either); env TRUSTPLANE_CRL_MAX_AGE */
  crlCacheMaxAgeSeconds: number;
  /** the longest a revocation waits for the next CRL that lists it; env TRUSTPLANE_CRL_DELAY */
  crlBatchDelaySeconds: number;
  /** a complete CRL at most this often while it is large (1 MiB+), delta CRLs between; env TRUSTPLANE_CRL_FULL_INTERVAL */
  crlFullIntervalSeconds: number;
  /** largest release image (or SBOM) an upload may carry; env TRUSTPLANE_MAX_IMAGE_BYTES */
  maxImageBytes: number;
  /** nonces one device may be issued in an hour (attestation); env TRUSTPLANE_ATTESTATION_NONCES_PER_HOUR */
  attestationNoncesPerHour: number;
  maxBodyBytes: number;
  logLevel: string;
  /** request logs: readable lines, JSON lines, or `auto` (readable on a terminal, JSON otherwise) */
  logFormat: LogFormat;
  /** /.well-known/security.txt; env TRUSTPLANE_SECURITY_CONTACT, TRUSTPLANE_SECURITY_POLICY, TRUSTPLANE_SECURITY_LANGUAGES */
  securityContact: InstallationSecurityContact;
}

export const logFormats = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof logFormats)[number];

export const defaultConfig: ServerConfig = {
  home: './.trustplane',
  listenHost: '127.0.0.1',
  listenPort: 8443,
  estListen: { host: '127.0.0.1', port: 8444 },
  publicUrl: undefined,
  databaseUrl: undefined,
  kekBase64: undefined,
  organization: 'trustplane',
  rootKeyAlgorithm: 'ecdsa-p384',
  tokenMaxTtlSeconds: 12 * 3600,
  crlValiditySeconds: 24 * 3600,
  ocspValiditySeconds: 3600,
  crlCacheMaxAgeSeconds: 300,
  crlBatchDelaySeconds: 60,
  crlFullIntervalSeconds: 3600,
  maxImageBytes: 2 * 1024 * 1024 * 1024,
  attestationNoncesPerHour: 60,
  maxBodyBytes: 1024 * 1024,
  logLevel: 'info',
  logFormat: 'auto',
  securityContact: noInstallationContact,
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--listen must be HOST:PORT, got ${listen}`);
  return { host: (m[1] ?? '').replace(/^\[|\]$/g, ''), port };
}

export interface ServeFlags {
  home?: string | undefined;
  listen?: string | undefined;
  publicUrl?: string | undefined;
  /** HOST:PORT or `off` */
  estListen?: string | undefined;
}

export function loadConfig(flags: ServeFlags, env: NodeJS.ProcessEnv): Readonly<ServerConfig> {
  const listen = flags.listen ?? env.TRUSTPLANE_LISTEN;
  const { host, port } = listen ? parseListen(listen) : { host: defaultConfig.listenHost, port: defaultConfig.listenPort };
  // EST defaults to the API's host and the next port (0 stays 0: any free port).
  const est = flags.estListen ?? env.TRUSTPLANE_EST_LISTEN;
  const estListen = est === 'off' ? undefined : est ? parseListen(est) : { host, port: port === 0 ? 0 : port + 1 };
  if (estListen && estListen.port > 65535) throw new ConfigError('the EST port (API port + 1) is out of range; give --est-listen');
  const publicUrl = flags.publicUrl ?? env.TRUSTPLANE_PUBLIC_URL;
  if (publicUrl !== undefined && !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(publicUrl)) throw new ConfigError(`the public URL must be an http(s) URL, got ${publicUrl}`);
  const rootKeyAlgorithm = env.TRUSTPLANE_ROOT_KEY_ALG ?? defaultConfig.rootKeyAlgorithm;
  if (!isKeyAlgorithm(rootKeyAlgorithm)) throw new ConfigError(`TRUSTPLANE_ROOT_KEY_ALG: unknown algorithm ${rootKeyAlgorithm}`);
  const crlMaxAge = env.TRUSTPLANE_CRL_MAX_AGE || undefined;
  if (crlMaxAge !== undefined && !/^\d{1,6}$/.test(crlMaxAge)) throw new ConfigError(`TRUSTPLANE_CRL_MAX_AGE must be a number of seconds (0–999999), got ${crlMaxAge}`);
  const crlDelay = seconds(env, 'TRUSTPLANE_CRL_DELAY', 1, defaultConfig.crlBatchDelaySeconds);
  const crlFullInterval = seconds(env, 'TRUSTPLANE_CRL_FULL_INTERVAL', 1, defaultConfig.crlFullIntervalSeconds);
  const maxImage = env.TRUSTPLANE_MAX_IMAGE_BYTES || undefined;
  if (maxImage !== undefined && (!/^\d{1,16}$/.test(maxImage) || Number(maxImage) < 1)) throw new ConfigError(`TRUSTPLANE_MAX_IMAGE_BYTES must be a number of bytes, got ${maxImage}`);
  const logFormat = env.TRUSTPLANE_LOG_FORMAT || defaultConfig.logFormat;
  if (!isLogFormat(logFormat)) throw new ConfigError(`TRUSTPLANE_LOG_FORMAT must be ${logFormats.join(', ')}; got ${logFormat}`);
  return Object.freeze({
    ...defaultConfig,
    home: flags.home ?? env.TRUSTPLANE_HOME ?? defaultConfig.home,
    listenHost: host,
    listenPort: port,
    estListen,
    publicUrl: publicUrl?.replace(/\/+$/, ''),
    databaseUrl: env.DATABASE_URL || undefined,
    kekBase64: env.TRUSTPLANE_KEK || undefined,
    rootKeyAlgorithm,
    crlCacheMaxAgeSeconds: crlMaxAge === undefined ? defaultConfig.crlCacheMaxAgeSeconds : Number(crlMaxAge),
    crlBatchDelaySeconds: crlDelay,
    crlFullIntervalSeconds: crlFullInterval,
    maxImageBytes: maxImage === undefined ? defaultConfig.maxImageBytes : Number(maxImage),
    attestationNoncesPerHour: wholeNumber(env, 'TRUSTPLANE_ATTESTATION_NONCES_PER_HOUR', 1, defaultConfig.attestationNoncesPerHour, 'nonces'),
    logLevel: env.TRUSTPLANE_LOG_LEVEL ?? defaultConfig.logLevel,
    logFormat,
    securityContact: securityContact(env),
  });
}

/** The installation's vulnerability contact point (RFC 9116 fields), checked as a profile's are. */
export function securityContact(env: NodeJS.ProcessEnv): InstallationSecurityContact {
  const read = <T>(name: string, parse: (field: string, value: unknown) => T): T | undefined => {
    const raw = env[name] || undefined;
    try {
      return raw === undefined ? undefined : parse(name, raw);
    } catch (e) {
      throw new ConfigError(e instanceof Error ? e.message : String(e));
    }
  };
  const contact = read('TRUSTPLANE_SECURITY_CONTACT', parseContactUri);
  const cvdPolicyUrl = read('TRUSTPLANE_SECURITY_POLICY', parseHttpsUrl);
  const languages = read('TRUSTPLANE_SECURITY_LANGUAGES', (field, v) => parseLanguageTags(field, String(v).split(',').map((t) => t.trim())));
  if (contact === undefined && (cvdPolicyUrl !== undefined || languages !== undefined)) throw new ConfigError('TRUSTPLANE_SECURITY_POLICY and TRUSTPLANE_SECURITY_LANGUAGES need TRUSTPLANE_SECURITY_CONTACT (RFC 9116: a security.txt has a Contact)');
  return Object.freeze({ contact, cvdPolicyUrl, preferredLanguages: languages ?? [] });
}

/** A whole number of seconds from the environment, at least `min`, or the default when unset. */
function seconds(env: NodeJS.ProcessEnv, name: string, min: number, fallback: number): number {
  return wholeNumber(env, name, min, fallback, 'seconds');
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, min: number, fallback: number, unit: string): number {
  const raw = env[name] || undefined;
  if (raw === undefined) return fallback;
  if (!/^\d{1,7}$/.test(raw) || Number(raw) < min) throw new ConfigError(`${name} must be a whole number of ${unit} (${min}–9999999), got ${raw}`);
  return Number(raw);
}

function isLogFormat(s: string): s is LogFormat {
  return (logFormats as readonly string[]).includes(s);
}
