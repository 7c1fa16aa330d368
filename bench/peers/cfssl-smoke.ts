// Smoke test of the cfssl benchmark peer: `node bench/peers/cfssl-smoke.ts [total] [concurrency]`.
// Makes 200 distinct ECDSA P-256 CSRs with `openssl req` (reused round-robin;
// openssl per CSR is too slow for tens of thousands, so the benchmark proper
// generates its CSRs itself), starts `cfssl serve`, and signs them over HTTP
// with a closed-loop load of 16 clients, printing the rate.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runHttpLoad } from '../load/http-load.ts';
import { checkCfsslSignAnswer, cfsslSignRequest, startCfssl } from './cfssl.ts';

const run = promisify(execFile);

const total = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 16);
const distinctCsrs = 200;

async function opensslCsr(i: number): Promise<string> {
  const { stdout } = await run('openssl', [
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    '/dev/null',
    '-subj',
    `/O=trustplane smoke/CN=device-${i}`,
    '-outform',
    'PEM',
  ]);
  return stdout;
}

async function makeCsrs(n: number): Promise<string[]> {
  const csrs: string[] = new Array<string>(n);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) csrs[i] = await opensslCsr(i);
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return csrs;
}

const workDir = await mkdtemp(join(tmpdir(), 'trustplane-cfssl-'));
try {
  const peer = await startCfssl(workDir);
  if (peer === undefined) {
    console.log('cfssl is not installed (Debian package golang-cfssl); skipping');
  } else {
    try {
      const csrs = await makeCsrs(distinctCsrs);
      const bodies = csrs.map((csr) => cfsslSignRequest(csr));
      // Warm-up: one request, also checks the answer end to end.
      const warm = await runHttpLoad({
        concurrency: 1,
        total: 1,
        makeRequest: () => ({
          method: 'POST',
          url: peer.url + bodies[0]!.path,
          headers: { 'content-type': 'application/json' },
          body: bodies[0]!.body,
        }),
        check: (status, body) => void checkCfsslSignAnswer(status, body),
      });
      if (warm.errors > 0) throw new Error(`cfssl warm-up failed: ${warm.firstError ?? '?'}`);

      const result = await runHttpLoad({
        concurrency,
        total,
        makeRequest: (i) => {
          const request = bodies[i % bodies.length]!;
          return {
            method: 'POST',
            url: peer.url + request.path,
            headers: { 'content-type': 'application/json' },
            body: request.body,
          };
        },
        check: (status, body) => void checkCfsslSignAnswer(status, body),
      });
      console.log(
        `cfssl serve: ${result.count} certificates in ${result.seconds.toFixed(2)} s = ${result.perSecond.toFixed(0)}/s ` +
          `(concurrency ${concurrency}, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, errors ${result.errors}` +
          `${result.firstError !== undefined ? `, first: ${result.firstError}` : ''})`,
      );
      if (result.errors > 0) process.exitCode = 1;
    } finally {
      await peer.stop();
    }
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}
