// CloudFlare's `cfssl serve` as a benchmark peer: an ECDSA P-256 CA made by
// cfssl itself, one signing profile, signing CSRs over plain HTTP on loopback.
// Debian package: golang-cfssl (binary /usr/bin/cfssl).
import { execFile, spawn } from 'node:child_process';
import { mkdir, open, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freeLoopbackPort, supervisePeer } from './peer-process.ts';

const run = promisify(execFile);

export interface CfsslPeer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** PEM of the CA certificate cfssl signs with. */
  caCertPem: string;
  /** The server process, for its CPU time. */
  pid: number;
  stop(): Promise<void>;
}

export const CFSSL_SIGN_PATH = '/api/v1/cfssl/sign';

/** The body of a `cfssl sign` HTTP request for one CSR (default profile). */
export function cfsslSignRequest(csrPem: string): { path: typeof CFSSL_SIGN_PATH; body: string } {
  return { path: CFSSL_SIGN_PATH, body: JSON.stringify({ certificate_request: csrPem }) };
}

interface CfsslAnswer {
  success?: boolean;
  result?: { certificate?: string };
  errors?: { code?: number; message?: string }[];
}

/** Throws unless `body` is a successful `cfssl sign` answer carrying a certificate. Returns the PEM. */
export function checkCfsslSignAnswer(status: number, body: Buffer): string {
  let answer: CfsslAnswer;
  try {
    answer = JSON.parse(body.toString('utf8')) as CfsslAnswer;
  } catch {
    throw new Error(`cfssl sign: HTTP ${status}, not JSON: ${body.toString('utf8').slice(0, 200)}`);
  }
  const certificate = answer.result?.certificate;
  if (
    status !== 200 ||
    answer.success !== true ||
    typeof certificate !== 'string' ||
    !certificate.includes('-----BEGIN CERTIFICATE-----')
  ) {
    const why = answer.errors?.map((e) => `${e.code ?? '?'} ${e.message ?? ''}`).join('; ') ?? '';
    throw new Error(`cfssl sign failed: HTTP ${status} success=${String(answer.success)} ${why}`);
  }
  return certificate;
}

/** True when the `cfssl` binary is on PATH. */
export async function cfsslInstalled(): Promise<boolean> {
  try {
    await run('cfssl', ['version']);
    return true;
  } catch {
    return false;
  }
}


function postJson(url: string, body: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json' }, timeout: 2000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates a CA in `workDir`, starts `cfssl serve` on a free loopback port and
 * waits until it answers. Returns undefined when cfssl is not installed.
 * `logLevel`: cfssl's -loglevel (0 debug … 5 fatal), default 2.
 */
export async function startCfssl(workDir: string, options: { logLevel?: number } = {}): Promise<CfsslPeer | undefined> {
  if (!(await cfsslInstalled())) return undefined;
  await mkdir(workDir, { recursive: true });

  // CA: ECDSA P-256, self-signed by cfssl itself.
  const caCsrJson = join(workDir, 'ca-csr.json');
  await writeFile(
    caCsrJson,
    JSON.stringify({
      CN: 'cfssl benchmark CA',
      key: { algo: 'ecdsa', size: 256 },
      names: [{ O: 'trustplane benchmark' }],
      ca: { expiry: '87600h' },
    }),
  );
  const { stdout } = await run('cfssl', ['genkey', '-initca', caCsrJson], { maxBuffer: 4 * 1024 * 1024 });
  const ca = JSON.parse(stdout) as { cert?: string; key?: string };
  if (typeof ca.cert !== 'string' || typeof ca.key !== 'string')
    throw new Error('cfssl genkey -initca gave no cert/key');
  const caCert = join(workDir, 'ca.pem');
  const caKey = join(workDir, 'ca-key.pem');
  await writeFile(caCert, ca.cert);
  await writeFile(caKey, ca.key, { mode: 0o600 });

  // One signing profile (the default one): device client certificates.
  const config = join(workDir, 'cfssl-config.json');
  await writeFile(
    config,
    JSON.stringify(
      { signing: { default: { expiry: '8760h', usages: ['digital signature', 'client auth'] } } },
      null,
      2,
    ),
  );

  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const log = await open(join(workDir, 'cfssl-serve.log'), 'a');
  // Default -loglevel 2 (warning): no line per request, as trustplane at 'warn'. At cfssl's own
  // default (1, info) it logs every request; written to this file that costs it ~3 % here.
  const child = spawn(
    'cfssl',
    [
      'serve',
      '-address',
      '127.0.0.1',
      '-port',
      String(port),
      '-ca',
      caCert,
      '-ca-key',
      caKey,
      '-config',
      config,
      '-loglevel',
      String(options.logLevel ?? 2),
    ],
    { stdio: ['ignore', log.fd, log.fd] },
  );
  const peer = supervisePeer(child, log);
  const stop = (): Promise<void> => peer.stop();

  // Wait until it answers: POST /api/v1/cfssl/info returns the CA.
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (peer.exited()) {
      await log.close().catch(() => undefined);
      throw new Error(`cfssl serve exited early; see ${join(workDir, 'cfssl-serve.log')}`);
    }
    try {
      const answer = await postJson(`${url}/api/v1/cfssl/info`, '{}');
      if (answer.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`cfssl serve did not answer on ${url} within 20 s`);
    }
    await sleep(50);
  }

  if (child.pid === undefined) throw new Error('cfssl serve: no pid');
  return { url, caCertPem: ca.cert, pid: child.pid, stop };
}
