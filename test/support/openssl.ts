/**
 * The system `openssl` CLI and `curl`, driven from interop tests in a throw-away directory.
 * Always asynchronous: the server under test runs in this process, so a blocking child
 * (spawnSync) that talks to it over HTTP would wait forever.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together: openssl prints "verify OK" and friends on either. */
  output: string;
}

/** The key algorithms the system openssl (3.0) can make a key and CSR for. */
export type OpensslKeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'ed25519' | 'rsa-3072';

const newKeyOptions: Record<OpensslKeyAlgorithm, string[]> = {
  'ecdsa-p256': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-sha256'],
  'ecdsa-p384': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-sha384'],
  ed25519: ['-newkey', 'ed25519'],
  'rsa-3072': ['-newkey', 'rsa:3072', '-sha256'],
};

/** A temp directory where openssl and curl run, with the files they read and write. */
export class Workdir {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** A directory that already exists (the caller removes it). */
  static at(dir: string): Workdir {
    return new Workdir(dir);
  }

  static async create(prefix = 'tp-interop-'): Promise<Workdir> {
    return new Workdir(await mkdtemp(join(tmpdir(), prefix)));
  }

  /** A directory of its own inside this one (removed with it). */
  async subdir(name: string): Promise<Workdir> {
    await mkdir(this.path(name));
    return new Workdir(this.path(name));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  async write(name: string, data: string | Uint8Array): Promise<string> {
    await writeFile(this.path(name), data);
    return name;
  }

  async read(name: string): Promise<Buffer> {
    return readFile(this.path(name));
  }

  /** Runs a program in this directory; never throws on a non-zero exit. */
  run(program: string, args: readonly string[]): Promise<ToolResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(program, args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr, output: stdout + stderr }));
    });
  }

  openssl(args: readonly string[]): Promise<ToolResult> {
    return this.run('openssl', args);
  }

  /** openssl that must succeed; the failure message carries what openssl said. */
  async opensslOk(args: readonly string[]): Promise<ToolResult> {
    const r = await this.openssl(args);
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} → exit ${r.status}\n${r.output}`);
    return r;
  }

  /** `curl -s -f`: the body into `outFile`; throws on an HTTP error. Returns the content type. */
  async curlDownload(url: string, outFile: string): Promise<string> {
    const r = await this.run('curl', ['-s', '-f', '-o', outFile, '-w', '%{content_type}', url]);
    if (r.status !== 0) throw new Error(`curl ${url} → exit ${r.status}\n${r.output}`);
    return r.stdout;
  }

  /** A key and PKCS#10 request made by `openssl req`: `<name>.key`, `<name>.csr` (PEM). */
  async makeKeyAndCsr(
    name: string,
    algorithm: OpensslKeyAlgorithm,
    subject: string,
  ): Promise<{ keyFile: string; csrFile: string; csrPem: string }> {
    const keyFile = `${name}.key`;
    const csrFile = `${name}.csr`;
    await this.opensslOk([
      'req',
      '-new',
      ...newKeyOptions[algorithm],
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      csrFile,
      '-subj',
      subject,
    ]);
    return { keyFile, csrFile, csrPem: (await this.read(csrFile)).toString('utf8') };
  }

  /** A manufacturer CA made by `openssl req -x509` (IEEE 802.1AR IDevID issuer): `<name>.key`, `<name>.pem`. */
  async makeManufacturerCa(name: string, subject: string): Promise<{ certFile: string; certPem: string }> {
    await this.opensslOk([
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`,
      '-days', '365', '-subj', subject, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return { certFile: `${name}.pem`, certPem: (await this.read(`${name}.pem`)).toString('utf8') };
  }

  /** A device's IDevID with serialNumber = `serial`, signed by `ca` (a makeManufacturerCa name) with `openssl x509 -req`. */
  async makeIdevid(name: string, ca: string, serial: string): Promise<{ certFile: string; keyFile: string; certPem: string; keyPem: string }> {
    await this.makeKeyAndCsr(name, 'ecdsa-p256', `/O=Maker/serialNumber=${serial}/CN=${serial}`);
    await this.write(`${name}.ext`, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n');
    await this.opensslOk(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '365', '-extfile', `${name}.ext`]);
    return { certFile: `${name}.pem`, keyFile: `${name}.key`, certPem: (await this.read(`${name}.pem`)).toString('utf8'), keyPem: (await this.read(`${name}.key`)).toString('utf8') };
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * `openssl req` in `dir`: a fresh EC key kept in `<name>.key` and its CSR; the PEM. Any curve
 * openssl knows, including ones trustplane refuses (P-521), for refusal tests.
 */
export async function newEcCsr(dir: string, name: string, curve = 'P-256', parameters: 'named_curve' | 'explicit' = 'named_curve'): Promise<string> {
  const work = Workdir.at(dir);
  const keyOptions = ['-pkeyopt', `ec_paramgen_curve:${curve}`, '-pkeyopt', `ec_param_enc:${parameters}`];
  await work.opensslOk(['req', '-new', '-newkey', 'ec', ...keyOptions, '-nodes', '-keyout', `${name}.key`, '-subj', '/CN=x', '-out', `${name}.csr`]);
  return (await work.read(`${name}.csr`)).toString('utf8');
}

/** The PEM blocks of a bundle, in order, each ending in a newline. */
export function splitPem(bundle: string): string[] {
  return [...bundle.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g)].map((m) => `${m[0]}\n`);
}

/** What `openssl x509 -text -noout` says about a certificate, in the pieces the tests check. */
export interface X509Text {
  text: string;
  subject: string;
  /** The lines under "X509v3 Subject Alternative Name:". */
  subjectAltName: string;
  extendedKeyUsage: string;
  crlDistributionPoints: string[];
  ocsp: string[];
  caIssuers: string[];
}

export function parseX509Text(text: string): X509Text {
  const subject = /^\s*Subject: (.*)$/m.exec(text)?.[1] ?? '';
  return {
    text,
    subject,
    subjectAltName: extensionBody(text, 'X509v3 Subject Alternative Name'),
    extendedKeyUsage: extensionBody(text, 'X509v3 Extended Key Usage'),
    crlDistributionPoints: [...extensionBody(text, 'X509v3 CRL Distribution Points').matchAll(/URI:(\S+)/g)].map(
      (m) => m[1]!,
    ),
    ocsp: [...extensionBody(text, 'Authority Information Access').matchAll(/OCSP - URI:(\S+)/g)].map((m) => m[1]!),
    caIssuers: [...extensionBody(text, 'Authority Information Access').matchAll(/CA Issuers - URI:(\S+)/g)].map(
      (m) => m[1]!,
    ),
  };
}

/** The indented lines that follow an extension's heading, up to the next heading. */
function extensionBody(text: string, heading: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim().startsWith(`${heading}:`));
  if (start < 0) return '';
  const indent = lines[start]!.length - lines[start]!.trimStart().length;
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const ind = line.length - line.trimStart().length;
    if (line.trim() !== '' && ind <= indent) break;
    body.push(line.trim());
  }
  return body.filter((l) => l !== '').join('\n');
}

/** `openssl ocsp` output: the status line for `name` ("good", "revoked", "unknown") and the reason. */
export function ocspStatus(output: string, name: string): { status: string | undefined; reason: string | undefined } {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const status = new RegExp(`^${escaped}: (\\w+)`, 'm').exec(output)?.[1];
  const reason = /^\s*Reason: (\w+)/m.exec(output)?.[1];
  return { status, reason };
}

/**
 * `openssl ocsp` over HTTP POST for `cert` (issued by issuing.pem, both in `dir`) at `url`, the
 * response verified against root.pem: the status and reason it reports.
 */
export async function opensslOcsp(dir: Workdir, cert: string, url: string): Promise<{ status: string | undefined; reason: string | undefined }> {
  const r = await dir.openssl(['ocsp', '-issuer', 'issuing.pem', '-cert', cert, '-url', url, '-CAfile', 'root.pem']);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /^Response verify OK$/m, r.output);
  return ocspStatus(r.output, cert);
}

/** The entries of a CRL as `openssl crl -text` lists them: serial (upper-case hex) → reason text. */
export function crlEntries(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  const re =
    /Serial Number: ([0-9A-F]+)\s+Revocation Date: [^\n]+(?:\s+CRL entry extensions:\s+X509v3 CRL Reason Code:\s+([^\n]+))?/g;
  for (const m of text.matchAll(re)) entries.set(m[1]!, (m[2] ?? '').trim());
  return entries;
}

/** `X509v3 CRL Number:` of `openssl crl -text`. */
export function crlNumber(text: string): bigint {
  const m = /X509v3 CRL Number:\s+(?:critical\s+)?(\S+)/.exec(text);
  if (!m) throw new Error(`no CRL number in\n${text}`);
  // openssl prints small numbers in decimal and large ones as hex with colons.
  return m[1]!.includes(':') ? BigInt(`0x${m[1]!.replaceAll(':', '')}`) : BigInt(m[1]!);
}

/** The serial the API reports (hex) as openssl prints it in a CRL listing. */
export function opensslSerial(hex: string): string {
  const s = hex.toUpperCase().replace(/^0+/, '');
  return s.length % 2 === 1 ? `0${s}` : s;
}
