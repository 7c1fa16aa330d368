// The messages between the main thread and the worker thread that owns PGlite
// (pglite-worker.ts, pglite-worker-client.ts). Everything here crosses by structured clone:
// Date, Uint8Array, bigint and plain objects arrive as they left.

/** Given to the worker at start (`workerData`). */
export interface PgliteWorkerData {
  /** undefined: an in-memory database (tests only) */
  dataDir: string | undefined;
}

export type PgliteWorkerRequest = { kind: 'query'; id: number; sql: string; params: readonly unknown[] } | { kind: 'close'; id: number };

export type PgliteWorkerReply =
  | { kind: 'ready' }
  /** PGlite.create failed: the worker exits after sending this */
  | { kind: 'open-failed'; error: SerializedDatabaseError }
  | { kind: 'result'; id: number; rows: unknown[]; affectedRows: number | undefined }
  | { kind: 'error'; id: number; error: SerializedDatabaseError }
  | { kind: 'closed'; id: number };

/**
 * A PostgreSQL error as PGlite throws it (pg-protocol's DatabaseError), by value: structured
 * clone keeps an Error's message and stack but drops fields such as `code` and `constraint`,
 * which callers inspect (23505 unique violation, 40001 serialization failure, …).
 */
export interface SerializedDatabaseError {
  message: string;
  stack: string | undefined;
  /** string and number own properties: severity, code, detail, hint, position, where, schema, table, column, dataType, constraint, file, line, routine, query */
  fields: Record<string, string | number>;
}
