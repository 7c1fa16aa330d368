// The OCSP benchmark's requests and its check of answers, both by a client nobody here wrote:
// `openssl ocsp`. A request names one certificate by SHA-1 CertID (openssl's default; RFC 5019
// §2.1.1 asks for SHA-1); 'no-nonce' requests are the RFC 5019 kind a responder may answer from a
// cache, 'nonce' requests (RFC 6960 §4.4.1, openssl's default) each carry a fresh random nonce.
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { writeBodiesFile } from './load/wrk.ts';

export type NonceMode = 'no-nonce' | 'nonce';

/** A certificate the responder knows, by its serial (lower-case hex) and the status it must answer. */
export interface OcspSubject {
  serialHex: string;
  status: 'good' | 'revoked';
}

export interface ToolResult {
  status: number | null;
  /** stdout and stderr together: openssl prints "Response verify OK" on stderr. */
  output: string;
}

/** Runs a program in `cwd`; never throws on a non-zero exit. */
export function runTool(program: string, args: readonly string[], cwd: string): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** `work` over `items` with at most `limit` running at once; results in item order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i]!, i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * One DER request per subject, made by `openssl ocsp -issuer … -serial 0x… -reqout` (about 7 ms a
 * process, so several at once), kept in `dir/requests-<mode>/` for the rest of the run.
 */
export async function makeOcspRequests(
  dir: string,
  issuerPem: string,
  subjects: readonly OcspSubject[],
  mode: NonceMode,
): Promise<Buffer[]> {
  const out = join(dir, `requests-${mode}`);
  await mkdir(out, { recursive: true });
  return mapLimit(subjects, cpus().length * 2, async (subject, i) => {
    const file = join(out, `${i}.der`);
    const cached = await readFile(file).catch(() => undefined);
    if (cached) return cached;
    const args = [
      'ocsp',
      '-issuer',
      issuerPem,
      '-serial',
      `0x${subject.serialHex}`,
      '-reqout',
      file,
      mode === 'nonce' ? '-nonce' : '-no_nonce',
    ];
    const r = await runTool('openssl', args, dir);
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.output.trim()}`);
    return readFile(file);
  });
}

export interface AnswerCheck {
  request: Uint8Array;
  answer: Uint8Array;
  issuerPem: string;
  /** The trust anchor the answer's signer must chain to. */
  trustPem: string;
  expect: OcspSubject['status'];
}

/**
 * Throws unless `openssl ocsp -reqin -respin` finds the answer successful, signed by a responder
 * that chains to the trust anchor and is authorised for the issuer, answering `expect` for the
 * requested certificate. nonceEchoed: for a request with a nonce, whether the answer carried it back
 * (openssl refuses a different one; RFC 5019 §2.2.1 lets a responder leave it out).
 */
export async function checkOcspAnswer(dir: string, c: AnswerCheck): Promise<{ nonceEchoed: boolean }> {
  await writeFile(join(dir, 'check-request.der'), c.request);
  await writeFile(join(dir, 'check-answer.der'), c.answer);
  const args = [
    'ocsp',
    '-reqin',
    'check-request.der',
    '-respin',
    'check-answer.der',
    '-issuer',
    c.issuerPem,
    '-CAfile',
    c.trustPem,
    '-resp_text',
  ];
  const r = await runTool('openssl', args, dir);
  const status = /Cert Status: (\w+)/.exec(r.output)?.[1];
  if (
    r.status !== 0 ||
    !/OCSP Response Status: successful/.test(r.output) ||
    !/^Response verify OK$/m.test(r.output) ||
    status !== c.expect
  ) {
    throw new Error(
      `not a valid OCSP answer (${c.expect} expected, openssl says ${status ?? 'no status'}):\n${r.output.trim().slice(0, 1500)}`,
    );
  }
  return { nonceEchoed: !/WARNING: no nonce in response/.test(r.output) };
}

export interface RequestSet {
  bodies: Buffer[];
  /** The bodies file wrk-bodies.lua reads. */
  file: string;
}

/** Both request sets (without and with nonce) for one CA, and their bodies files, in `dir`. */
export async function makeRequestSets(
  dir: string,
  issuerPem: string,
  subjects: readonly OcspSubject[],
  say: (s: string) => void,
): Promise<Record<NonceMode, RequestSet>> {
  const sets: Partial<Record<NonceMode, RequestSet>> = {};
  for (const mode of ['no-nonce', 'nonce'] as const) {
    const started = performance.now();
    const bodies = await makeOcspRequests(dir, issuerPem, subjects, mode);
    const file = join(dir, `${mode}.bodies`);
    await writeBodiesFile(file, bodies);
    sets[mode] = { bodies, file };
    say(
      `    ${bodies.length} ${mode} requests by openssl ocsp -reqout: ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  return sets as Record<NonceMode, RequestSet>;
}
