// Over HTTP: the real Fastify app on a loopback port, 16 keep-alive clients
// POSTing /v1/products/{sku}/devices/{serial}/enroll, each for its own device.
import { buildApp } from '../src/server/app.ts';
import type { Trustplane } from '../src/server/trustplane.ts';
import { runHttpLoad } from './load/http-load.ts';
import { BENCH_SKU, deviceSerial, type BenchCsr } from './fixtures.ts';
import type { Throughput } from './stats.ts';

function checkEnrollAnswer(status: number, body: Buffer): void {
  if (status !== 201) throw new Error(`enroll: HTTP ${status} ${body.toString('utf8').slice(0, 200)}`);
  const answer = JSON.parse(body.toString('utf8')) as { certificate?: unknown };
  if (typeof answer.certificate !== 'string' || !answer.certificate.startsWith('-----BEGIN CERTIFICATE-----')) throw new Error('enroll: no certificate in the answer');
}

/**
 * `tp` must already hold the product and the devices. Logging is at 'warn': trustplane writes no
 * per-request line below debug, so this matches cfssl at -loglevel 2.
 */
export async function runHttpIssuance(tp: Trustplane, csrs: readonly BenchCsr[], concurrency: number): Promise<Throughput> {
  const app = await buildApp(tp, { maxBodyBytes: 1024 * 1024, logLevel: 'warn' });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  tp.setPublicUrl(url);
  try {
    // A factory token scoped to the product: what a production line would hold.
    const { secret } = await tp.tokens.create({ role: 'factory', owner: 'bench line', ttlSeconds: 3600, products: [BENCH_SKU] }, 'bench');
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${secret}` };
    const bodies = csrs.map((c) => JSON.stringify({ csr: c.pem }));
    const result = await runHttpLoad({
      concurrency,
      total: csrs.length,
      makeRequest: (i) => ({ method: 'POST', url: `${url}/v1/products/${BENCH_SKU}/devices/${deviceSerial(i)}/enroll`, headers, body: bodies[i]! }),
      check: (status, body) => checkEnrollAnswer(status, body),
    });
    return result;
  } finally {
    await app.close();
  }
}
