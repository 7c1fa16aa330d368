// Smallstep's step-ca as a benchmark peer (issue 11): built from Debian's Go sources by
// bench/peers/build-step-ca.sh, with an ECDSA P-256 root and intermediate made here by openssl,
// one JWK provisioner whose private key stays in the bench (to mint one-time tokens), and its
// default store, badger v2, on disk. step-ca serves HTTPS only; it makes its own TLS server
// certificate for 127.0.0.1 from the intermediate, as it does in production.
import { execFile, spawn } from 'node:child_process';
import { access, constants, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { provisionerKey, signToken } from './step-ca-token.ts';
import { freeLoopbackPort, supervisePeer } from './peer-process.ts';

const run = promisify(execFile);

/** Where bench/peers/build-step-ca.sh leaves the binary (its TRUSTPLANE_BENCH_CACHE / XDG_CACHE_HOME rules). */
function builtBinary(): string {
  const cache =
    process.env.TRUSTPLANE_BENCH_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'trustplane-bench');
  return join(cache, 'step-ca');
}

/** The built binary, else `step-ca` on PATH; undefined when neither runs. Also its version line. */
export async function findStepCa(): Promise<{ binary: string; version: string } | undefined> {
  for (const binary of [builtBinary(), 'step-ca']) {
    try {
      if (binary.includes('/')) await access(binary, constants.X_OK);
      const { stdout } = await run(binary, ['--version'], {
        env: { ...process.env, STEPPATH: '/nonexistent-steppath' },
      });
      return { binary, version: stdout.trim().replace(/^step-ca version /, '') };
    } catch {
      // try the next one
    }
  }
  return undefined;
}

export const STEP_CA_NOT_BUILT = 'step-ca not built: bash bench/peers/build-step-ca.sh';

const PROVISIONER = 'bench';

export interface StepCaPeer {
  /** https://127.0.0.1:<port> */
  url: string;
  /** The root, the one certificate the clients trust. */
  rootPem: string;
  /** The server process, for its CPU time. */
  pid: number;
  version: string;
  /** A one-time token (JWT) for `POST /1.0/sign` of a CSR whose CN is `commonName`. */
  signToken(commonName: string): string;
  stop(): Promise<void>;
}

/** The body of a `POST /1.0/sign` request. */
export const stepCaSignRequest = (csrPem: string, ott: string): string => JSON.stringify({ csr: csrPem, ott });

/** Throws unless `body` is step-ca's 201 sign answer with a certificate (`crt`). */
export function checkStepCaSignAnswer(status: number, body: Buffer): void {
  const text = body.toString('utf8');
  if (status !== 201) throw new Error(`step-ca sign: HTTP ${status} ${text.slice(0, 300)}`);
  const answer = JSON.parse(text) as { crt?: unknown };
  if (typeof answer.crt !== 'string' || !answer.crt.startsWith('-----BEGIN CERTIFICATE-----'))
    throw new Error('step-ca sign: no crt in the answer');
}

/** Root and intermediate, ECDSA P-256, with openssl (what `step ca init` would make; we have no `step`). */
async function makeCaFiles(dir: string): Promise<{ root: string; crt: string; key: string }> {
  const root = join(dir, 'root_ca.crt');
  const rootKey = join(dir, 'root_ca.key');
  const crt = join(dir, 'intermediate_ca.crt');
  const key = join(dir, 'intermediate_ca.key');
  const csr = join(dir, 'intermediate_ca.csr');
  const ext = join(dir, 'intermediate_ca.ext');
  const p256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...p256,
    '-keyout',
    rootKey,
    '-out',
    root,
    '-days',
    '3650',
    '-subj',
    '/O=trustplane bench/CN=step-ca bench root',
    '-addext',
    'basicConstraints=critical,CA:TRUE,pathlen:1',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run('openssl', [
    'req',
    '-new',
    ...p256,
    '-keyout',
    key,
    '-out',
    csr,
    '-subj',
    '/O=trustplane bench/CN=step-ca bench intermediate',
  ]);
  await writeFile(
    ext,
    'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
  );
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    root,
    '-CAkey',
    rootKey,
    '-CAcreateserial',
    '-days',
    '3650',
    '-sha256',
    '-extfile',
    ext,
    '-out',
    crt,
  ]);
  return { root, crt, key };
}


function healthy(url: string, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(`${url}/health`, { ca, timeout: 2000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Makes the CA in `workDir`, starts step-ca on a free loopback port and waits for /health.
 * Undefined when step-ca is not built. `requestLog`: step-ca's logger on (`"logger": {"format":
 * "text"}`, as `step ca init` writes it: a line per request); off, there is no per-request line.
 */
export async function startStepCa(
  workDir: string,
  options: { requestLog?: boolean } = {},
): Promise<StepCaPeer | undefined> {
  const found = await findStepCa();
  if (found === undefined) return undefined;
  await mkdir(workDir, { recursive: true });
  const { root, crt, key } = await makeCaFiles(workDir);
  const provisioner = provisionerKey();
  const port = await freeLoopbackPort();
  const url = `https://127.0.0.1:${port}`;
  const config = {
    root,
    crt,
    key, // unencrypted PKCS#8: no --password-file
    address: `127.0.0.1:${port}`,
    // step-ca signs its own TLS server certificate for these names with the intermediate.
    dnsNames: ['127.0.0.1'],
    ...(options.requestLog ? { logger: { format: 'text' } } : {}),
    // step-ca's default store; Debian's badger is 2.2007, whose SyncWrites defaults to true.
    db: { type: 'badgerv2', dataSource: join(workDir, 'db') },
    // Default claims: certificates of 24 h (5 min … 24 h allowed), renewal allowed.
    authority: { provisioners: [{ type: 'JWK', name: PROVISIONER, key: provisioner.publicJwk }] },
    // What `step ca init` writes.
    tls: {
      cipherSuites: ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
      minVersion: 1.2,
      maxVersion: 1.3,
      renegotiation: false,
    },
  };
  const configFile = join(workDir, 'ca.json');
  await writeFile(configFile, JSON.stringify(config, null, 2));
  const rootPem = await readFile(root, 'utf8');

  const logFile = join(workDir, 'step-ca.log');
  const log = await open(logFile, 'a');
  // STEPPATH: step's home for contexts and defaults; kept inside workDir, not ~/.step.
  const child = spawn(found.binary, [configFile], {
    stdio: ['ignore', log.fd, log.fd],
    env: { ...process.env, STEPPATH: join(workDir, 'step') },
  });
  const peer = supervisePeer(child, log);
  const stop = (): Promise<void> => peer.stop();

  const deadline = Date.now() + 20_000;
  while (!(await healthy(url, rootPem))) {
    if (peer.exited() || Date.now() > deadline) {
      await stop();
      throw new Error(`step-ca did not become healthy on ${url}; see ${logFile}`);
    }
    await sleep(50);
  }
  if (child.pid === undefined) throw new Error('step-ca: no pid');

  const audience = `${url}/1.0/sign`;
  const minter = { name: PROVISIONER, kid: provisioner.kid, privateKey: provisioner.privateKey };
  return {
    url,
    rootPem,
    pid: child.pid,
    version: found.version,
    signToken: (commonName) => signToken(minter, audience, commonName),
    stop,
  };
}
