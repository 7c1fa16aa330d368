// A closed-loop HTTP(S) load generator: `concurrency` clients each send one
// request, wait for the whole answer, check it, and send the next, until
// `total` requests have been sent. By default keep-alive sockets, one per client;
// with `connections: 'per-request'`, a new connection (over TLS: a full handshake,
// no session resumption) for every request.
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
  connections?: 'keep-alive' | 'per-request';
}

/**
 * count: requests answered and accepted by `check`; seconds: from the first request to the last
 * answer; percentiles over the accepted requests; errors: transport errors, timeouts, refusals by
 * `check` (the first one kept for diagnostics). connectionsOpened: sockets the run opened;
 * tlsSessionsResumed: of those, TLS connections that resumed a session instead of a full handshake.
 */
export type HttpLoadResult = Throughput & { connectionsOpened: number; tlsSessionsResumed: number };

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

interface Transport {
  /** undefined: a new connection for this request alone. */
  agent: http.Agent | undefined;
  secureContext: SecureContext | undefined;
  onSocket: (socket: unknown) => void;
}

function send(transport: Transport, request: HttpLoadRequest, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(request.url);
    const secure = url.protocol === 'https:';
    if ((url.protocol !== 'http:' && !secure) || (secure && !transport.secureContext)) {
      reject(new Error(`runHttpLoad: ${request.url} needs ${secure ? 'the tls option' : 'an http(s) URL'}`));
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
      headers: { ...request.headers, 'content-length': String(body.length) },
      timeout: timeoutMs,
    };
    // One context made once: a device parses its trust anchors once, not per request.
    if (secure && transport.secureContext) options.secureContext = transport.secureContext;
    const onAnswer = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    };
    const req = secure ? https.request(options, onAnswer) : http.request(options, onAnswer);
    req.on('socket', transport.onSocket);
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export async function runHttpLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  const { concurrency, total, makeRequest, check } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('concurrency must be a positive integer');
  if (!Number.isInteger(total) || total < 0) throw new Error('total must be a non-negative integer');

  const keepAlive = (options.connections ?? 'keep-alive') === 'keep-alive';
  const agent = !keepAlive ? undefined : options.tls ? new https.Agent({ keepAlive: true, maxSockets: concurrency }) : new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const seen = new WeakSet<object>();
  let connectionsOpened = 0;
  let tlsSessionsResumed = 0;
  const transport: Transport = {
    agent,
    secureContext: options.tls ? createSecureContext({ ca: options.tls.caPem, minVersion: 'TLSv1.2' }) : undefined,
    onSocket: (socket) => {
      if (typeof socket !== 'object' || socket === null || seen.has(socket)) return;
      seen.add(socket);
      connectionsOpened++;
      if (!options.tls) return;
      const tlsSocket = socket as TLSSocket;
      tlsSocket.once('secureConnect', () => {
        if (tlsSocket.isSessionReused()) tlsSessionsResumed++;
      });
    },
  };
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;

  const client = async (): Promise<void> => {
    for (let i = next++; i < total; i = next++) {
      const started = process.hrtime.bigint();
      try {
        const answer = await send(transport, makeRequest(i), timeoutMs);
        check(answer.status, answer.body, i, answer.headers);
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };

  const started = process.hrtime.bigint();
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(total, 1)) }, client));
  } finally {
    agent?.destroy();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  return { ...summarise(latencies, seconds, errors, firstError), connectionsOpened, tlsSessionsResumed };
}
