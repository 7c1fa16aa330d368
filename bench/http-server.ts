// The trustplane side of the HTTP scenario, in a process of its own (as cfssl is),
// so the load generator does not share its main thread:
//   node bench/http-server.ts <n> <pglite-dir | postgres-url>
// Prepares the product and n devices in open enrollment batches of the factory `bench line`,
// listens on a loopback port, prints one JSON line {url, token} (a factory token of `bench line`),
// and stops when its stdin closes. With BENCH_SERVER_PROFILE=<file>
// it writes a CPU profile of the serving phase only (not the preparation) to <file>.
import { createBatch } from '../src/enrollment/batches.ts';
import { MAX_BATCH_SERIALS } from '../src/enrollment/serial-range.ts';
import { buildApp } from '../src/server/app.ts';
import { BENCH_SKU, benchActor, deviceSerial, openPrepared } from './fixtures.ts';
import { locationFromArgument, serveUntilStdinEnds } from './server-process.ts';
import { startServingProfile } from './serving-profile.ts';

const n = Number(process.argv[2]);
const location = locationFromArgument(process.argv[3] ?? '');

const FACTORY = 'bench line';
const { tp, product } = await openPrepared(location, n);
// A factory token enrolls only serials of an open batch naming its owner (docs/design/enrollment.md),
// and spends the serial's one-time token with the certificate; the tokens themselves are not needed.
const validUntil = new Date(Date.now() + 24 * 3_600_000).toISOString();
for (let start = 0; start < n; start += MAX_BATCH_SERIALS) {
  const serials = Array.from({ length: Math.min(MAX_BATCH_SERIALS, n - start) }, (_, k) => deviceSerial(start + k));
  await createBatch(tp.enrollment, product, { factory: FACTORY, serials, validUntil }, benchActor);
}
// 'warn': trustplane writes no per-request line below debug; cfssl runs at -loglevel 2 (warning).
const app = await buildApp(tp, { maxBodyBytes: 1024 * 1024, logLevel: 'warn' });
const url = await app.listen({ host: '127.0.0.1', port: 0 });
tp.setPublicUrl(url);
// A factory token scoped to the product: what a production line would hold.
const { secret } = await tp.tokens.create({ role: 'factory', owner: FACTORY, ttlSeconds: 3600, products: [BENCH_SKU] }, 'bench');

const stopProfile = await startServingProfile();
serveUntilStdinEnds({ url, token: secret }, async () => {
  await stopProfile();
  await app.close();
  await tp.close();
});
