// A closed-loop HTTP load generator: `concurrency` clients each send one
// request, wait for the whole answer, check it, and send the next, until
// `total` requests have been sent. Keep-alive sockets, one per client.
import http from 'node:http';
import { summarise, type Throughput } from '../stats.ts';

export interface HttpLoadRequest {
  method: string;
  /** Absolute http:// URL. */
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
  check: (status: number, body: Buffer, i: number) => void;
  /** Per-request socket inactivity limit; default 30 s. A timeout counts as an error. */
  timeoutMs?: number;
}

/**
 * count: requests answered and accepted by `check`; seconds: from the first request to the last
 * answer; percentiles over the accepted requests; errors: transport errors, timeouts, refusals by
 * `check` (the first one kept for diagnostics).
 */
export type HttpLoadResult = Throughput;

interface Answer {
  status: number;
  body: Buffer;
}

function send(agent: http.Agent, request: HttpLoadRequest, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(request.url);
    if (url.protocol !== 'http:') {
      reject(new Error(`runHttpLoad supports http:// only, got ${request.url}`));
      return;
    }
    const body = typeof request.body === 'string' ? Buffer.from(request.body) : request.body;
    const req = http.request(
      {
        agent,
        method: request.method,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        headers: { ...request.headers, 'content-length': String(body.length) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
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

  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;

  const client = async (): Promise<void> => {
    for (let i = next++; i < total; i = next++) {
      const started = process.hrtime.bigint();
      try {
        const answer = await send(agent, makeRequest(i), timeoutMs);
        check(answer.status, answer.body, i);
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
    agent.destroy();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  return summarise(latencies, seconds, errors, firstError);
}
