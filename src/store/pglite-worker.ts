// The worker thread that owns the embedded PGlite (pglite-worker-client.ts starts it). PGlite
// runs PostgreSQL compiled to WebAssembly synchronously in the thread that calls it: here, so the
// HTTP server's main thread is free while a statement parses, plans and runs.
import { PGlite } from '@electric-sql/pglite';
import { parentPort, workerData } from 'node:worker_threads';
import type { PgliteWorkerData, PgliteWorkerReply, PgliteWorkerRequest, SerializedDatabaseError } from './pglite-worker-protocol.types.ts';

const port = parentPort;
if (!port) throw new Error('pglite-worker.ts runs as a worker thread (pglite-worker-client.ts starts it)');
const { dataDir } = workerData as PgliteWorkerData;

const send = (reply: PgliteWorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(reply, transfer);

let lite: PGlite;
try {
  lite = await PGlite.create(dataDir);
} catch (e) {
  send({ kind: 'open-failed', error: serializeError(e) });
  process.exit(1); // ends this thread only
}

// One message at a time, in order: PGlite serialises its queries too, but answering in arrival
// order keeps a transaction's statements in the order its connection sent them.
let chain: Promise<void> = Promise.resolve();
port.on('message', (request: PgliteWorkerRequest) => {
  chain = chain.then(() => handle(request));
});
send({ kind: 'ready' });

async function handle(request: PgliteWorkerRequest): Promise<void> {
  if (request.kind === 'close') {
    await lite.close();
    send({ kind: 'closed', id: request.id });
    port!.close(); // nothing else holds the thread open: it ends
    return;
  }
  try {
    // Kysely passes a readonly array; PGlite's signature wants a mutable one.
    const result = await lite.query(request.sql, [...request.params]);
    send({ kind: 'result', id: request.id, rows: result.rows, affectedRows: result.affectedRows }, transferables(result.rows));
  } catch (e) {
    send({ kind: 'error', id: request.id, error: serializeError(e) });
  }
}

/**
 * The buffers of the result's own byte arrays (bytea), moved instead of copied. PGlite's bytea
 * parser gives each value a buffer of its own; a view into a shared one is left to be copied, as
 * moving it would move (and detach) its neighbours.
 */
function transferables(rows: unknown[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  const visit = (v: unknown): void => {
    if (v instanceof Uint8Array) {
      if (v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && v.byteLength > 0) buffers.add(v.buffer);
    } else if (Array.isArray(v)) v.forEach(visit);
  };
  for (const row of rows) if (row !== null && typeof row === 'object') Object.values(row).forEach(visit);
  return [...buffers];
}

function serializeError(e: unknown): SerializedDatabaseError {
  if (!(e instanceof Error)) return { message: String(e), stack: undefined, fields: {} };
  const fields: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(e)) if (typeof value === 'string' || typeof value === 'number') fields[key] = value;
  return { message: e.message, stack: e.stack, fields };
}
