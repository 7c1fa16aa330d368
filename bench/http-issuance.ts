// Over HTTP: the real Fastify app, in a child process, on a loopback port; 16
// keep-alive clients POST /v1/products/{sku}/devices/{serial}/enroll, each for its own device.
// Plain HTTP: the /v1 API is served without TLS here (step-ca's row is HTTPS; the EST rows are
// trustplane over TLS).
import { runHttpLoad } from './load/http-load.ts';
import { postgresClusterCpu } from './process-cpu.ts';
import { locationArgument, startServerProcess, usageBetween, type ServerProcess } from './server-process.ts';
import { BENCH_SKU, deviceSerial, type BenchCsr } from './fixtures.ts';
import type { DatabaseLocation } from '../src/store/database.ts';
import type { IssuanceResult } from './stats.ts';

function checkEnrollAnswer(status: number, body: Buffer): void {
  if (status !== 201) throw new Error(`enroll: HTTP ${status} ${body.toString('utf8').slice(0, 200)}`);
  const answer = JSON.parse(body.toString('utf8')) as { certificate?: unknown };
  if (typeof answer.certificate !== 'string' || !answer.certificate.startsWith('-----BEGIN CERTIFICATE-----')) throw new Error('enroll: no certificate in the answer');
}

/** Starts bench/http-server.ts on `location` with the first `n` devices registered. */
function startServer(location: DatabaseLocation, n: number): Promise<ServerProcess<{ url: string; token: string }>> {
  return startServerProcess<{ url: string; token: string }>('./http-server.ts', [String(n), locationArgument(location)]);
}

/**
 * The figures, with the server process's CPU per certificate and, on PostgreSQL, the whole
 * cluster's (bench/process-cpu.ts), both measured around the timed load only.
 */
export async function runHttpIssuance(location: DatabaseLocation, csrs: readonly BenchCsr[], concurrency: number): Promise<IssuanceResult> {
  const server = await startServer(location, csrs.length);
  try {
    const { url, token } = server.ready;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const bodies = csrs.map((c) => JSON.stringify({ csr: c.pem }));
    const database = location.kind === 'postgres' ? await postgresClusterCpu(location.url) : undefined;
    const serverBefore = await server.probe();
    const databaseBefore = database?.();
    const result = await runHttpLoad({
      concurrency,
      total: csrs.length,
      makeRequest: (i) => ({ method: 'POST', url: `${url}/v1/products/${BENCH_SKU}/devices/${deviceSerial(i)}/enroll`, headers, body: bodies[i]! }),
      check: (status, body) => checkEnrollAnswer(status, body),
    });
    const databaseAfter = database?.();
    const { cpuMsPerRequest, loopUtilisation } = usageBetween(serverBefore, await server.probe(), csrs.length);
    // The main thread's busy share says whether it, rather than the cores, bounds the rate.
    process.stderr.write(`  HTTP on ${location.kind}: server CPU ${cpuMsPerRequest.toFixed(2)} ms/cert (all threads), main thread busy ${(loopUtilisation * 100).toFixed(0)} %\n`);
    return {
      ...result,
      serverCpuMsPerCert: cpuMsPerRequest,
      ...(databaseBefore !== undefined && databaseAfter !== undefined ? { databaseCpuMsPerCert: (databaseAfter - databaseBefore) / csrs.length } : {}),
    };
  } finally {
    await server.stop();
  }
}
