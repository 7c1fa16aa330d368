import * as http from 'node:http';
import * as https from 'node:https';
import { AgentError } from './agent-error.ts';

/** A TLS client identity: certificate and private key, PEM. */
export interface TlsClientIdentity {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface HttpCall {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** PEM trust anchors for an https URL; nothing else is trusted. */
  readonly caPem?: string;
  readonly clientIdentity?: TlsClientIdentity | undefined;
  /** A keep-alive agent to reuse connections (one per client; its pool is keyed by TLS identity). */
  readonly agent?: http.Agent | https.Agent | undefined;
  readonly timeoutMs?: number;
  /** Called once the whole request has been handed to the socket. */
  readonly onSent?: (() => void) | undefined;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Attacker-controlled input: no EST or API answer the agent reads is near this size. */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
const defaultTimeoutMs = 60_000;

/**
 * One HTTP(S) exchange. Any failure to get a whole answer (refused connection, TLS failure,
 * timeout, oversized body) is `unreachable`; any answer, whatever its status, is returned.
 */
export function httpCall(call: HttpCall): Promise<HttpAnswer> {
  const secure = call.url.protocol === 'https:';
  const options: https.RequestOptions = {
    method: call.method,
    headers: {
      ...call.headers,
      ...(call.body !== undefined ? { 'content-length': String(Buffer.byteLength(call.body)) } : {}),
    },
    timeout: call.timeoutMs ?? defaultTimeoutMs,
    ...(call.agent ? { agent: call.agent } : {}),
  };
  if (secure) {
    if (call.caPem !== undefined) options.ca = call.caPem;
    if (call.clientIdentity) {
      options.cert = call.clientIdentity.certPem;
      options.key = call.clientIdentity.keyPem;
    }
  }
  const transport = secure ? https : http;
  return new Promise((resolve, reject) => {
    const unreachable = (cause: unknown): void =>
      reject(
        new AgentError('unreachable', 'UNREACHABLE', `no answer from ${call.url.origin}: ${messageOf(cause)}`, {
          cause,
        }),
      );
    const req = transport.request(call.url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) res.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', unreachable);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', unreachable);
    if (call.onSent) req.on('finish', call.onSent);
    req.end(call.body);
  });
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return 'code' in e && typeof e.code === 'string' ? `${e.code} ${e.message}` : e.message;
  return String(e);
}
