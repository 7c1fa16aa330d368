// The peer: CloudFlare's `cfssl serve` signing the same CSRs over HTTP with the same load.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHttpLoad } from './load/http-load.ts';
import { cfsslSignRequest, checkCfsslSignAnswer, startCfssl } from './peers/cfssl.ts';
import type { BenchCsr } from './fixtures.ts';
import { processCpuMs } from './process-cpu.ts';
import type { IssuanceResult } from './stats.ts';

/**
 * undefined when cfssl is not installed. `logLevel`: cfssl's -loglevel; 2 (warning) writes no
 * per-request line, as trustplane at 'warn'; 1 (info) is cfssl's default.
 */
export async function runCfsslIssuance(csrs: readonly BenchCsr[], concurrency: number, logLevel: number): Promise<IssuanceResult | undefined> {
  const workDir = await mkdtemp(join(tmpdir(), 'tp-bench-cfssl-'));
  try {
    const peer = await startCfssl(workDir, { logLevel });
    if (peer === undefined) return undefined;
    try {
      const bodies = csrs.map((c) => cfsslSignRequest(c.pem));
      const request = (i: number) => ({ method: 'POST', url: peer.url + bodies[i]!.path, headers: { 'content-type': 'application/json' }, body: bodies[i]!.body });
      const warm = await runHttpLoad({ concurrency: 1, total: 1, makeRequest: request, check: (s, b) => void checkCfsslSignAnswer(s, b) });
      if (warm.errors > 0) throw new Error(`cfssl warm-up failed: ${warm.firstError ?? '?'}`);
      const before = processCpuMs(peer.pid);
      const result = await runHttpLoad({ concurrency, total: csrs.length, makeRequest: request, check: (s, b) => void checkCfsslSignAnswer(s, b) });
      const after = processCpuMs(peer.pid);
      return before !== undefined && after !== undefined ? { ...result, serverCpuMsPerCert: (after - before) / csrs.length } : result;
    } finally {
      await peer.stop();
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
