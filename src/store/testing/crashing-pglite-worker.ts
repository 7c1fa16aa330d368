// The embedded database worker, made to die: on the query `select 'crash'` it throws where no one
// catches it, as a WebAssembly trap or a bug in the worker would. For pglite-worker-dialect.test.ts.
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', (message: { sql?: string }) => {
  // before the real worker's listener (imported below) sees the query: it stays unanswered
  if (message.sql === "select 'crash'") throw new Error('simulated fault in the embedded database worker');
});
await import('../pglite-worker.ts');
