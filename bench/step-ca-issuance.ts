// The peer that stores what it issues: step-ca signing the same CSRs over HTTPS with the same
// load (keep-alive clients trusting only its root). Each CSR comes with its own one-time token
// (JWK provisioner), all minted before the clock starts; step-ca verifies the token, records its
// id in badger so it cannot be used again, signs, and stores the certificate in badger.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHttpLoad } from './load/http-load.ts';
import { checkStepCaSignAnswer, startStepCa, stepCaSignRequest } from './peers/step-ca.ts';
import { processCpuMs } from './process-cpu.ts';
import type { BenchCsr } from './fixtures.ts';
import type { IssuanceResult } from './stats.ts';

/** The CN `makeCsrs` gives CSR `i`: the token's `sub` and only SAN must match it. */
const commonName = (i: number): string => `bench-${i}`;

/** Undefined when step-ca is not built. Also returns step-ca's version line. */
export async function runStepCaIssuance(
  csrs: readonly BenchCsr[],
  concurrency: number,
  options: { requestLog: boolean },
): Promise<{ result: IssuanceResult; version: string } | undefined> {
  const workDir = await mkdtemp(join(tmpdir(), 'tp-bench-step-ca-'));
  try {
    const peer = await startStepCa(workDir, options);
    if (peer === undefined) return undefined;
    try {
      const url = `${peer.url}/1.0/sign`;
      const headers = { 'content-type': 'application/json' };
      const tls = { caPem: peer.rootPem };
      const check = (status: number, body: Buffer): void => checkStepCaSignAnswer(status, body);
      const warmBody = stepCaSignRequest(csrs[0]!.pem, peer.signToken(commonName(0)));
      const warm = await runHttpLoad({
        concurrency: 1,
        total: 1,
        tls,
        check,
        makeRequest: () => ({ method: 'POST', url, headers, body: warmBody }),
      });
      if (warm.errors > 0) throw new Error(`step-ca warm-up failed: ${warm.firstError ?? '?'}`);

      const bodies = csrs.map((c, i) => stepCaSignRequest(c.pem, peer.signToken(commonName(i))));
      const before = processCpuMs(peer.pid);
      const result = await runHttpLoad({
        concurrency,
        total: bodies.length,
        tls,
        check,
        makeRequest: (i) => ({ method: 'POST', url, headers, body: bodies[i]! }),
      });
      const after = processCpuMs(peer.pid);
      const serverCpuMsPerCert =
        before !== undefined && after !== undefined ? (after - before) / bodies.length : undefined;
      return {
        result: serverCpuMsPerCert === undefined ? result : { ...result, serverCpuMsPerCert },
        version: peer.version,
      };
    } finally {
      await peer.stop();
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
