// Over HTTP: the real Fastify app, in a child process, on a loopback port; 16
// keep-alive clients POST /v1/products/{sku}/devices/{serial}/enroll, each for its own device.
import { runHttpLoad } from './load/http-load.ts';
import { locationArgument, startServerProcess, usageBetween, type ServerUsage } from './server-process.ts';
import { BENCH_SKU, deviceSerial, type BenchCsr } from './fixtures.ts';
import type { DatabaseLocation } from '../src/store/database.ts';
import type { Throughput } from './stats.ts';

function checkEnrollAnswer(status: number, body: Buffer): void {
  if (status !== 201) throw new Error(`enroll: HTTP ${status} ${body.toString('utf8').slice(0, 200)}`);
  const answer = JSON.parse(body.toString('utf8')) as { certificate?: unknown };
  if (typeof answer.certificate !== 'string' || !answer.certificate.startsWith('-----BEGIN CERTIFICATE-----')) throw new Error('enroll: no certificate in the answer');
}

/** Starts bench/http-server.ts on `location` with the first `n` devices registered. */
async function startServer(location: DatabaseLocation, n: number): Promise<{ url: string; token: string; probe(): Promise<ServerUsage>; stop(): Promise<void> }> {
  const server = await startServerProcess<{ url: string; token: string }>('./http-server.ts', [String(n), locationArgument(location)]);
  return { ...server.ready, probe: () => server.probe(), stop: () => server.stop() };
}

export async function runHttpIssuance(location: DatabaseLocation, csrs: readonly BenchCsr[], concurrency: number): Promise<Throughput> {
  const server = await startServer(location, csrs.length);
  try {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${server.token}` };
    const bodies = csrs.map((c) => JSON.stringify({ csr: c.pem }));
    const before = await server.probe();
    const result = await runHttpLoad({
      concurrency,
      total: csrs.length,
      makeRequest: (i) => ({ method: 'POST', url: `${server.url}/v1/products/${BENCH_SKU}/devices/${deviceSerial(i)}/enroll`, headers, body: bodies[i]! }),
      check: (status, body) => checkEnrollAnswer(status, body),
    });
    // CPU per certificate is steadier than the rate on a shared machine; the main thread's busy
    // share says whether it, rather than the cores, bounds the rate.
    const usage = usageBetween(before, await server.probe(), result.count);
    process.stderr.write(`  HTTP on ${location.kind}: server CPU ${usage.cpuMsPerRequest.toFixed(2)} ms/cert (all threads), main thread busy ${(usage.loopUtilisation * 100).toFixed(0)} %\n`);
    return result;
  } finally {
    await server.stop();
  }
}
