// A closed-loop HTTP(S) load generator: `concurrency` clients each send one
// request, wait for the whole answer, check it, and send the next, until
// `total` requests have been sent. By default keep-alive sockets, one per client;
// with `connections: 'per-request'`, a new connection (over TLS: a full handshake,
// no session resumption) for every request. Its parts (transports with an optional client
// identity for mutual TLS, one request, the closed loop) serve loads of other shapes too.
import http from 'node:http';
import https from 'node:https';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { summarise, type Throughput } from '../stats.ts';

export interface HttpLoadRequest {
  method: string;
  /** Absolute http:// or https:// URL (https needs `tls`). */
  url: string;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** A TLS client certificate and its key, PEM: a device's identity. */
export interface ClientIdentity {
  certPem: string;
  keyPem: string;
}

export type Connections = 'keep-alive' | 'per-request';

export interface HttpLoadOptions {
  concurrency: number;
  /** Number of requests to send in all (the run stops after these). */
  total: number;
  makeRequest: (i: number) => HttpLoadRequest;
  /** Throws when the answer to request `i` is not the expected one. */
  check: (status: number, body: Buffer, i: number, headers: http.IncomingHttpHeaders) => void;
  /** Per-request socket inactivity limit; default 30 s. A timeout counts as an error. */
  timeoutMs?: number;
  /** For https:// URLs: the PEM certificates trusted for the server; nothing else is. */
  tls?: { caPem: string };
  /** 'keep-alive' (default): one socket per client, reused. 'per-request': a new one each time. */
  connections?: Connections;
}

/**
 * count: requests answered and accepted by `check`; seconds: from the first request to the last
 * answer; percentiles over the accepted requests; errors: transport errors, timeouts, refusals by
 * `check` (the first one kept for diagnostics). connectionsOpened: sockets the run opened;
 * tlsSessionsResumed: of those, TLS connections that resumed a session instead of a full handshake.
 */
export type HttpLoadResult = Throughput & { connectionsOpened: number; tlsSessionsResumed: number };

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Sockets opened by the transports that share it, and TLS sessions resumed among them. */
export class ConnectionCounter {
  opened = 0;
  resumed = 0;
  readonly #seen = new WeakSet<object>();

  readonly onSocket = (socket: unknown): void => {
    if (typeof socket !== 'object' || socket === null || this.#seen.has(socket)) return;
    this.#seen.add(socket);
    this.opened++;
    const tlsSocket = socket as TLSSocket;
    if (typeof tlsSocket.isSessionReused !== 'function') return;
    tlsSocket.once('secureConnect', () => {
      if (tlsSocket.isSessionReused()) this.resumed++;
    });
  };
}

/** How one client reaches a server: its connection (pooled or not) and its TLS context. */
export interface Transport {
  /** undefined: a new connection for each request. */
  agent: http.Agent | undefined;
  secureContext: SecureContext | undefined;
  counter: ConnectionCounter;
}

export interface TransportOptions {
  connections: Connections;
  /** Sockets the pooled agent may hold (keep-alive); 1 for a client of its own. */
  maxSockets: number;
  counter: ConnectionCounter;
  /** For https: trusted roots, and the client's identity for mutual TLS. */
  tls?: { caPem: string; identity?: ClientIdentity };
}

export function makeTransport(o: TransportOptions): Transport {
  const keepAlive = o.connections === 'keep-alive';
  const agentOptions = { keepAlive: true, maxSockets: o.maxSockets };
  return {
    agent: !keepAlive ? undefined : o.tls ? new https.Agent(agentOptions) : new http.Agent(agentOptions),
    // One context made once: a device parses its trust anchors and its key once, not per request.
    secureContext: o.tls
      ? createSecureContext({
          ca: o.tls.caPem,
          minVersion: 'TLSv1.2',
          ...(o.tls.identity ? { cert: o.tls.identity.certPem, key: o.tls.identity.keyPem } : {}),
        })
      : undefined,
    counter: o.counter,
  };
}

export function closeTransport(t: Transport): void {
  t.agent?.destroy();
}

/** One request over `transport`; resolves with the whole answer, whatever its status. */
export function sendRequest(transport: Transport, request: HttpLoadRequest, timeoutMs = 30_000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const url = new URL(request.url);
    const secure = url.protocol === 'https:';
    if ((url.protocol !== 'http:' && !secure) || (secure && !transport.secureContext)) {
      reject(new Error(`sendRequest: ${request.url} needs ${secure ? 'the tls option' : 'an http(s) URL'}`));
      return;
    }
    const body = typeof request.body === 'string' ? Buffer.from(request.body) : request.body;
    // secureContext reaches tls.connect (https passes its options on); @types/node omits it here.
    const options: https.RequestOptions & { secureContext?: SecureContext } = {
      // false: a fresh agent for this request, so a fresh connection and an empty TLS session cache.
      agent: transport.agent ?? false,
      method: request.method,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: {
        ...request.headers,
        ...(body.length > 0 || request.method !== 'GET' ? { 'content-length': String(body.length) } : {}),
      },
      timeout: timeoutMs,
    };
    if (secure && transport.secureContext) options.secureContext = transport.secureContext;
    const onAnswer = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    };
    const req = secure ? https.request(options, onAnswer) : http.request(options, onAnswer);
    req.on('socket', transport.counter.onSocket);
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The closed loop: `concurrency` clients each run `operation` for the next index until `total`
 * have started. Latency per operation; an operation that throws is an error (the first kept).
 */
export async function runClosedLoop(
  concurrency: number,
  total: number,
  operation: (i: number, client: number) => Promise<void>,
): Promise<Throughput> {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('concurrency must be a positive integer');
  if (!Number.isInteger(total) || total < 0) throw new Error('total must be a non-negative integer');
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const client = async (c: number): Promise<void> => {
    for (let i = next++; i < total; i = next++) {
      const started = process.hrtime.bigint();
      try {
        await operation(i, c);
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(total, 1)) }, (_, c) => client(c)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return summarise(latencies, seconds, errors, firstError);
}

export async function runHttpLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  const { concurrency, total, makeRequest, check } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const counter = new ConnectionCounter();
  const transport = makeTransport({
    connections: options.connections ?? 'keep-alive',
    maxSockets: concurrency,
    counter,
    ...(options.tls ? { tls: { caPem: options.tls.caPem } } : {}),
  });
  try {
    const result = await runClosedLoop(concurrency, total, async (i) => {
      const answer = await sendRequest(transport, makeRequest(i), timeoutMs);
      check(answer.status, answer.body, i, answer.headers);
    });
    return { ...result, connectionsOpened: counter.opened, tlsSessionsResumed: counter.resumed };
  } finally {
    closeTransport(transport);
  }
}
