// BENCH_SERVER_PROFILE=<file>: a CPU profile of a bench server's serving phase only (not its
// preparation), written to <file> when it stops. Each server process overwrites the file; for one
// profile per process use BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=<dir>' instead.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** Starts profiling when BENCH_SERVER_PROFILE is set; the returned function writes the profile. */
export async function startServingProfile(): Promise<() => Promise<void>> {
  const file = process.env.BENCH_SERVER_PROFILE;
  if (!file) return () => Promise.resolve();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => writeFileSync(file, JSON.stringify((await session.post('Profiler.stop')).profile));
}
