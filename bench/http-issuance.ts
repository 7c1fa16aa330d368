// Over HTTP: the real Fastify app, in a child process, on a loopback port; 16
// keep-alive clients POST /v1/products/{sku}/devices/{serial}/enroll, each for its own device.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { runHttpLoad } from './load/http-load.ts';
import { BENCH_SKU, deviceSerial, type BenchCsr } from './fixtures.ts';
import type { DatabaseLocation } from '../src/store/database.ts';
import type { Throughput } from './stats.ts';

function checkEnrollAnswer(status: number, body: Buffer): void {
  if (status !== 201) throw new Error(`enroll: HTTP ${status} ${body.toString('utf8').slice(0, 200)}`);
  const answer = JSON.parse(body.toString('utf8')) as { certificate?: unknown };
  if (typeof answer.certificate !== 'string' || !answer.certificate.startsWith('-----BEGIN CERTIFICATE-----')) throw new Error('enroll: no certificate in the answer');
}

/** Starts bench/http-server.ts on `location` with the first `n` devices registered. */
async function startServer(location: DatabaseLocation, n: number): Promise<{ url: string; token: string; stop(): Promise<void> }> {
  const script = fileURLToPath(new URL('./http-server.ts', import.meta.url));
  // e.g. BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the server
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, script, String(n), location.kind === 'postgres' ? location.url : (location.dataDir ?? '')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    void exited.then((code) => reject(new Error(`the bench server exited (${String(code)}) before it listened`)));
  });
  const { url, token } = JSON.parse(first) as { url: string; token: string };
  return {
    url,
    token,
    stop: async () => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function runHttpIssuance(location: DatabaseLocation, csrs: readonly BenchCsr[], concurrency: number): Promise<Throughput> {
  const server = await startServer(location, csrs.length);
  try {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${server.token}` };
    const bodies = csrs.map((c) => JSON.stringify({ csr: c.pem }));
    return await runHttpLoad({
      concurrency,
      total: csrs.length,
      makeRequest: (i) => ({ method: 'POST', url: `${server.url}/v1/products/${BENCH_SKU}/devices/${deviceSerial(i)}/enroll`, headers, body: bodies[i]! }),
      check: (status, body) => checkEnrollAnswer(status, body),
    });
  } finally {
    await server.stop();
  }
}
