// OpenSSL's own OCSP responder, `openssl ocsp -port`, as the OCSP benchmark's peer, as shipped:
// one process, one thread (no -multi). Its CA is made by `openssl` itself the way trustplane's is
// shaped: ECDSA P-256, answers signed by a delegated responder certificate (id-kp-OCSPSigning,
// RFC 6960 §4.2.2.2) that rides along in each answer, and `n` device certificates issued by
// `openssl ca` into its index.txt, every tenth revoked (keyCompromise) with `openssl ca -revoke`.
//
// Two facts of OpenSSL 3.0's responder (apps/lib/http_server.c) shape how it is driven:
// - it answers HTTP/1.0 and closes the connection after every answer, keep-alive asked or not;
// - a connection that closes before sending a request wedges it: it reads end-of-file in a loop at
//   full CPU and never accepts anyone again (openssl/openssl#23934, #31129). wrk's address check
//   and the end of a wrk run both do that, so each timed run gets a fresh responder process.
import { spawn } from 'node:child_process';
import { readFile, writeFile, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { runTool, type OcspSubject } from '../ocsp-requests.ts';

export interface OpensslCa {
  dir: string;
  /** The issuer and the trust anchor: one self-signed CA. */
  caPem: string;
  /** In issuance order; every tenth revoked. */
  subjects: OcspSubject[];
}

/** Every `REVOKE_EVERY`-th certificate is revoked, as in bench/ocsp-server.ts. */
export const REVOKE_EVERY = 10;

const CA_CONFIG = `[ ca ]
default_ca = bench
[ bench ]
database = index.txt
new_certs_dir = certs
certificate = ca.pem
private_key = ca.key
rand_serial = yes
default_md = sha256
default_days = 365
policy = any_name
# every device certificate certifies the same key here: the responder looks up serials, not keys
unique_subject = no
x509_extensions = device
[ any_name ]
commonName = supplied
[ device ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
`;

const RESPONDER_EXTENSIONS = `basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,OCSPSigning
noCheck = ignored
`;

const P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

async function openssl(dir: string, args: readonly string[]): Promise<string> {
  const r = await runTool('openssl', args, dir);
  if (r.status !== 0)
    throw new Error(
      `openssl ${args.slice(0, 3).join(' ')} … failed (${String(r.status)}): ${r.output.trim().slice(0, 500)}`,
    );
  return r.output;
}

/** True when an `openssl` binary is on PATH. */
export async function opensslInstalled(): Promise<boolean> {
  return runTool('openssl', ['version'], '.').then(
    (r) => r.status === 0,
    () => false,
  );
}

/** Makes the CA, its responder and `n` device certificates (every tenth revoked) in `dir`. */
export async function makeOpensslCa(dir: string, n: number): Promise<OpensslCa> {
  await mkdir(join(dir, 'certs'), { recursive: true });
  await writeFile(join(dir, 'ca.cnf'), CA_CONFIG);
  await writeFile(join(dir, 'responder.ext'), RESPONDER_EXTENSIONS);
  await writeFile(join(dir, 'index.txt'), '');
  await openssl(dir, [
    'req',
    '-x509',
    ...P256,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '3650',
    '-subj',
    '/CN=openssl bench CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await openssl(dir, [
    'req',
    '-new',
    ...P256,
    '-keyout',
    'responder.key',
    '-out',
    'responder.csr',
    '-subj',
    '/CN=openssl bench OCSP responder',
  ]);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    'responder.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-set_serial',
    '1',
    '-days',
    '30',
    '-extfile',
    'responder.ext',
    '-out',
    'responder.pem',
  ]);
  await openssl(dir, [
    'req',
    '-new',
    ...P256,
    '-keyout',
    'device.key',
    '-out',
    'device.csr',
    '-subj',
    '/CN=openssl bench device',
  ]);
  // One `openssl ca` signs them all (-infiles: the rest of the arguments are requests).
  await openssl(dir, [
    'ca',
    '-config',
    'ca.cnf',
    '-batch',
    '-notext',
    '-out',
    'issued.pem',
    '-infiles',
    ...Array.from({ length: n }, () => 'device.csr'),
  ]);
  const serials = (await readFile(join(dir, 'index.txt'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t')[3]!);
  if (serials.length !== n) throw new Error(`openssl ca issued ${serials.length} certificates, not ${n}`);
  // One at a time: each `openssl ca -revoke` rewrites index.txt.
  for (let i = 0; i < n; i += REVOKE_EVERY) {
    await openssl(dir, [
      'ca',
      '-config',
      'ca.cnf',
      '-revoke',
      join('certs', `${serials[i]!}.pem`),
      '-crl_reason',
      'keyCompromise',
    ]);
  }
  const subjects = (await readFile(join(dir, 'index.txt'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [flag, , , serialHex] = line.split('\t');
      return { serialHex: serialHex!.toLowerCase(), status: flag === 'R' ? ('revoked' as const) : ('good' as const) };
    });
  return { dir, caPem: join(dir, 'ca.pem'), subjects };
}

export interface OpensslResponder {
  /** e.g. http://127.0.0.1:41234/ (it answers POSTs on any path) */
  url: string;
  /** CPU ms (user + system) the process has used so far; undefined where /proc is not readable. */
  cpuMs(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** Starts `openssl ocsp -port 0` on `ca`; resolves once it printed the port it accepts on. */
export async function startOpensslResponder(ca: OpensslCa): Promise<OpensslResponder> {
  const log = await open(join(ca.dir, 'responder.log'), 'a');
  // -port takes a number only in 3.0 and binds every interface ("ACCEPT [::]:<port>"); the bench
  // talks to it on 127.0.0.1. -nmin 60: nextUpdate an hour on, as trustplane's ocspValiditySeconds.
  const child = spawn(
    'openssl',
    [
      'ocsp',
      '-index',
      'index.txt',
      '-port',
      '0',
      '-rsigner',
      'responder.pem',
      '-rkey',
      'responder.key',
      '-CA',
      'ca.pem',
      '-nmin',
      '60',
    ],
    { cwd: ca.dir, stdio: ['ignore', 'pipe', log.fd] },
  );
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    if (!child.stdout) throw new Error('openssl ocsp: no stdout');
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const accept = /^ACCEPT .*:(\d+) PID=/.exec(line);
      if (accept) resolve(Number(accept[1]));
    });
    child.once('error', reject);
    void exited.then(() => reject(new Error(`openssl ocsp exited early; see ${join(ca.dir, 'responder.log')}`)));
  });
  const pid = child.pid;
  return {
    url: `http://127.0.0.1:${port}/`,
    cpuMs: async () => {
      try {
        // proc(5): utime and stime are fields 14 and 15, in clock ticks (USER_HZ, 100 on Linux).
        const stat = await readFile(`/proc/${String(pid)}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
      } catch {
        return undefined;
      }
    },
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      await log.close();
    },
  };
}
