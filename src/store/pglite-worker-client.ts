import { Worker } from 'node:worker_threads';
import type { PgliteWorkerData, PgliteWorkerReply, PgliteWorkerRequest, SerializedDatabaseError } from './pglite-worker-protocol.types.ts';

export interface PgliteQueryResult {
  rows: unknown[];
  affectedRows: number | undefined;
}

interface Pending {
  resolve(value: PgliteQueryResult | undefined): void;
  reject(error: Error): void;
}

const WORKER_SCRIPT = new URL('./pglite-worker.ts', import.meta.url);

/**
 * The main thread's handle on the worker thread that owns PGlite (pglite-worker.ts): a query is a
 * message there and its rows a message back. It does not order or exclude queries; the dialect's
 * driver hands out the one connection (pglite-worker-dialect.ts).
 */
export class PgliteWorkerClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #ids = 0;
  /** set once the worker is gone: every later query fails with it at once */
  #stopped: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  /**
   * Starts the worker and waits until PGlite has opened `dataDir` (undefined: in memory). `script`
   * replaces the worker's module, for tests that need a worker which fails.
   */
  static async start(dataDir: string | undefined, options: { script?: URL } = {}): Promise<PgliteWorkerClient> {
    const workerData: PgliteWorkerData = { dataDir };
    const worker = new Worker(options.script ?? WORKER_SCRIPT, { workerData });
    const client = new PgliteWorkerClient(worker);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (reply: PgliteWorkerReply): void => {
        if (reply.kind === 'ready') settle(resolve);
        else if (reply.kind === 'open-failed') settle(() => reject(toDatabaseError(reply.error, 'the embedded database did not open')));
      };
      const onError = (cause: Error): void => settle(() => reject(new Error('the embedded database worker failed while opening', { cause })));
      const onExit = (code: number): void => settle(() => reject(new Error(`the embedded database worker exited (code ${code}) while opening`)));
      const settle = (then: () => void): void => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        then();
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
    client.#listen();
    return client;
  }

  query(sql: string, params: readonly unknown[]): Promise<PgliteQueryResult> {
    return this.#request({ kind: 'query', id: ++this.#ids, sql, params }) as Promise<PgliteQueryResult>;
  }

  /** Closes PGlite (it writes what it holds) and waits for the thread to end. */
  async close(): Promise<void> {
    if (this.#stopped) return;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    await this.#request({ kind: 'close', id: ++this.#ids });
    await exited;
  }

  #request(request: PgliteWorkerRequest): Promise<PgliteQueryResult | undefined> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    return new Promise((resolve, reject) => {
      this.#pending.set(request.id, { resolve, reject });
      this.#worker.postMessage(request);
    });
  }

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    this.#pending.delete(id);
    return p;
  }

  /** The thread stays referenced until close(): an open in-thread PGlite keeps the process alive too. */
  #listen(): void {
    this.#worker.on('message', (reply: PgliteWorkerReply) => {
      if (reply.kind === 'result') this.#settle(reply.id)?.resolve({ rows: reply.rows, affectedRows: reply.affectedRows });
      else if (reply.kind === 'error') this.#settle(reply.id)?.reject(toDatabaseError(reply.error));
      else if (reply.kind === 'closed') {
        this.#stopped = new Error('the embedded database is closed');
        this.#settle(reply.id)?.resolve(undefined);
      }
    });
    // Fail closed and at once: a worker that dies (a WebAssembly trap, out of memory, a bug) fails
    // every query it held and every later one, rather than leaving them waiting for ever.
    let cause: Error | undefined;
    this.#worker.on('error', (e: Error) => {
      cause = e;
    });
    this.#worker.on('exit', (code: number) => {
      if (this.#stopped) return;
      this.#stopped = new Error(`the embedded database worker stopped (exit code ${code})${cause ? `: ${cause.message}` : ''}`, { cause });
      for (const p of this.#pending.values()) p.reject(this.#stopped);
      this.#pending.clear();
    });
  }
}

/**
 * The PostgreSQL error with its fields (code, constraint, …) as own properties, as PGlite throws
 * it in-thread. Its stack is the worker's: the main thread's would only show this message handler.
 */
function toDatabaseError(e: SerializedDatabaseError, context?: string): Error {
  const error = Object.assign(new Error(context ? `${context}: ${e.message}` : e.message), e.fields);
  if (e.stack && context === undefined) error.stack = e.stack;
  return error;
}
