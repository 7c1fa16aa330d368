import { spawn, spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
// Test helper only: it drives the openssl CLI in a throw-away directory, so it needs the file system.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Signer } from '../../crypto/signer.ts';
import { signerFromKey } from './signer-from-key.ts';

/**
 * A throw-away CA made by the system `openssl` CLI, so that fixtures come from a tool nobody
 * here wrote. Everything lives in one temp directory; call `remove()` when done.
 */
export type TestCaAlgorithm = 'ecdsa-p256' | 'rsa-3072' | 'ed25519';

export interface OpensslResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together: openssl prints "verify OK" and friends on either. */
  output: string;
}

export interface OpensslCert {
  /** Relative to the CA's directory, ready to pass to openssl. */
  pemPath: string;
  der: Uint8Array;
  signer: Signer;
}

export interface OpensslCa {
  readonly dir: string;
  readonly cert: OpensslCert;
  /** Runs openssl in the CA's directory; never throws on a non-zero exit. */
  openssl(args: readonly string[]): OpensslResult;
  /** The same without blocking the event loop, for when openssl talks to a server in this process. */
  opensslAsync(args: readonly string[]): Promise<OpensslResult>;
  writeFile(name: string, bytes: Uint8Array | string): string;
  readFile(name: string): Uint8Array;
  issueLeaf(name: string, serialHex: string): OpensslCert;
  /** RFC 6960 §4.2.2.2 delegated responder: EKU id-kp-OCSPSigning and id-pkix-ocsp-nocheck. */
  issueOcspResponder(name: string, serialHex: string): OpensslCert;
  remove(): void;
}

const keyOptions: Record<TestCaAlgorithm, string[]> = {
  'ecdsa-p256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'rsa-3072': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'],
  ed25519: ['-algorithm', 'ED25519'],
};

// Own config files, so the system openssl.cnf cannot add or duplicate extensions.
const caConfig = `[req]
distinguished_name = dn
x509_extensions = v3_ca
prompt = no
[dn]
O = trustplane tests
CN = Throw-away Test CA
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
`;
const reqConfig = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
`;
const leafExt = `basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;
const responderExt = `${leafExt}extendedKeyUsage = OCSPSigning
noCheck = ignored
`;

export function makeOpensslCa(algorithm: TestCaAlgorithm): OpensslCa {
  const dir = mkdtempSync(join(tmpdir(), 'trustplane-ca-'));
  const openssl = (args: readonly string[]): OpensslResult => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: r.stdout + r.stderr };
  };
  const opensslAsync = (args: readonly string[]): Promise<OpensslResult> =>
    new Promise((resolve, reject) => {
      const child = spawn('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr, output: stdout + stderr }));
    });
  const must = (args: readonly string[]): void => {
    const r = openssl(args);
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.output}`);
  };
  const writeFile = (name: string, bytes: Uint8Array | string): string => {
    writeFileSync(join(dir, name), bytes);
    return name;
  };
  const readFile = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));
  const loaded = (name: string): OpensslCert => {
    must(['x509', '-in', `${name}.pem`, '-outform', 'DER', '-out', `${name}.der`]);
    const key = createPrivateKey(readFileSync(join(dir, `${name}.key`)));
    return { pemPath: `${name}.pem`, der: readFile(`${name}.der`), signer: signerFromKey(key, name) };
  };
  const issue = (name: string, serialHex: string, ext: string): OpensslCert => {
    writeFile(`${name}.ext`, ext);
    must(['genpkey', ...keyOptions['ecdsa-p256'], '-out', `${name}.key`]);
    must(['req', '-new', '-config', 'req.cnf', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`]);
    must([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      `0x${serialHex}`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    ]);
    return loaded(name);
  };

  writeFile('ca.cnf', caConfig);
  writeFile('req.cnf', reqConfig);
  must(['genpkey', ...keyOptions[algorithm], '-out', 'ca.key']);
  must([
    'req',
    '-x509',
    '-new',
    '-config',
    'ca.cnf',
    '-key',
    'ca.key',
    '-days',
    '2',
    '-set_serial',
    '0x01',
    '-out',
    'ca.pem',
  ]);
  return {
    dir,
    cert: loaded('ca'),
    openssl,
    opensslAsync,
    writeFile,
    readFile,
    issueLeaf: (name, serialHex) => issue(name, serialHex, leafExt),
    issueOcspResponder: (name, serialHex) => issue(name, serialHex, responderExt),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
