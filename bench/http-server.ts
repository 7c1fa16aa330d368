// The trustplane side of the HTTP scenario, in a process of its own (as cfssl is),
// so the load generator does not share its main thread:
//   node bench/http-server.ts <n> <pglite-dir | postgres-url>
// Prepares the product and n devices, listens on a loopback port, prints one JSON
// line {url, token}, and stops when its stdin closes. With BENCH_SERVER_PROFILE=<file>
// it writes a CPU profile of the serving phase only (not the preparation) to <file>.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { buildApp } from '../src/server/app.ts';
import type { DatabaseLocation } from '../src/store/database.ts';
import { BENCH_SKU, openPrepared } from './fixtures.ts';

const n = Number(process.argv[2]);
const where = process.argv[3] ?? '';
const location: DatabaseLocation = where.startsWith('postgres') ? { kind: 'postgres', url: where } : { kind: 'pglite', dataDir: where };

const { tp } = await openPrepared(location, n);
// 'warn': trustplane writes no per-request line below debug; cfssl runs at -loglevel 2 (warning).
const app = await buildApp(tp, { maxBodyBytes: 1024 * 1024, logLevel: 'warn' });
const url = await app.listen({ host: '127.0.0.1', port: 0 });
tp.setPublicUrl(url);
// A factory token scoped to the product: what a production line would hold.
const { secret } = await tp.tokens.create({ role: 'factory', owner: 'bench line', ttlSeconds: 3600, products: [BENCH_SKU] }, 'bench');

const profileFile = process.env.BENCH_SERVER_PROFILE;
const session = profileFile ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
process.stdout.write(JSON.stringify({ url, token: secret }) + '\n');

process.stdin.resume();
process.stdin.on('end', () => {
  void (async () => {
    if (session && profileFile) writeFileSync(profileFile, JSON.stringify((await session.post('Profiler.stop')).profile));
    await app.close();
    await tp.close();
    process.exit(0);
  })();
});
