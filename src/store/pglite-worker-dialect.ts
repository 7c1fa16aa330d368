import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import type { PgliteWorkerClient } from './pglite-worker-client.ts';

/**
 * Kysely over the worker thread that owns PGlite. PGlite has one session, so the driver has one
 * connection and lends it to one holder at a time: a transaction's BEGIN … COMMIT runs on it
 * alone, and anyone else (a read outside the unit of work, another unit of work) waits in
 * arrival order until it is released. The same contract as `kysely-pglite-dialect`'s in-thread
 * driver, whose result shape (rows; `numAffectedRows` when PGlite reports affected rows) this keeps.
 */
export class PgliteWorkerDialect implements Dialect {
  readonly #client: PgliteWorkerClient;
  constructor(client: PgliteWorkerClient) {
    this.#client = client;
  }
  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PgliteWorkerDriver(this.#client);
  }
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}

class PgliteWorkerDriver implements Driver {
  readonly #client: PgliteWorkerClient;
  readonly #connection: PgliteWorkerConnection;
  #held = false;
  readonly #waiting: ((connection: DatabaseConnection) => void)[] = [];

  constructor(client: PgliteWorkerClient) {
    this.#client = client;
    this.#connection = new PgliteWorkerConnection(client);
  }

  async init(): Promise<void> {}

  acquireConnection(): Promise<DatabaseConnection> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve(this.#connection);
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- Kysely's Driver contract is async
  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    if (connection !== this.#connection || !this.#held) throw new Error('released a connection this driver did not lend');
    const next = this.#waiting.shift();
    if (next) next(this.#connection);
    else this.#held = false;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const modes = [settings.isolationLevel && `isolation level ${settings.isolationLevel}`, settings.accessMode].filter(Boolean);
    await connection.executeQuery(CompiledQuery.raw(modes.length > 0 ? `start transaction ${modes.join(' ')}` : 'begin'));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async destroy(): Promise<void> {
    await this.#client.close();
  }
}

class PgliteWorkerConnection implements DatabaseConnection {
  readonly #client: PgliteWorkerClient;
  constructor(client: PgliteWorkerClient) {
    this.#client = client;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const calledFrom = new Error();
    try {
      const { rows, affectedRows } = await this.#client.query(compiled.sql, compiled.parameters);
      return affectedRows ? { rows: rows as R[], numAffectedRows: BigInt(affectedRows) } : { rows: rows as R[] };
    } catch (e) {
      // The worker's stack ends in PGlite; the caller's place is on this thread.
      if (e instanceof Error && calledFrom.stack) e.stack = `${e.stack ?? String(e)}\n  called from the main thread:${calledFrom.stack.slice(calledFrom.stack.indexOf('\n'))}`;
      throw e;
    }
  }

  async *streamQuery<R>(compiled: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
    if (!Number.isInteger(chunkSize) || chunkSize <= 0) throw new Error('chunkSize must be a positive integer');
    const { rows } = await this.executeQuery<R>(compiled);
    for (let i = 0; i < rows.length; i += chunkSize) yield { rows: rows.slice(i, i + chunkSize) };
  }
}
