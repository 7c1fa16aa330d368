/**
 * Node's own TLS client speaking EST to a test server: for the refusal suites, where curl would
 * only be slower. The interop suite (test/est-interop.test.ts) uses curl and openssl.
 */
import { request } from 'node:https';
import type { ApiAnswer } from './state-snapshot.ts';

export interface EstCall {
  /** PEM of the root: the only TLS trust anchor */
  ca: string;
  basic?: { user: string; password: string };
  /** client certificate and key, PEM */
  cert?: string;
  key?: string;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** One EST request on a fresh connection; the answer parsed as the API's are (JSON when it says so). */
export function estRequest(url: string, method: 'GET' | 'POST', call: EstCall): Promise<ApiAnswer & { headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...call.headers };
    if (call.basic) headers.authorization = `Basic ${Buffer.from(`${call.basic.user}:${call.basic.password}`).toString('base64')}`;
    if (call.body !== undefined) headers['content-type'] = call.contentType ?? 'application/pkcs10';
    const req = request(url, { method, headers, ca: call.ca, agent: false, ...(call.cert ? { cert: call.cert } : {}), ...(call.key ? { key: call.key } : {}) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        const type = res.headers['content-type'] ?? '';
        resolve({ status: res.statusCode ?? 0, type, headers: res.headers, body: type.includes('json') && text ? JSON.parse(text) : text });
      });
    });
    req.on('error', reject);
    req.end(call.body);
  });
}

/** A CSR as EST sends it: base64 of the DER (RFC 8951). */
export function estBody(csrDer: Uint8Array): string {
  return Buffer.from(csrDer).toString('base64');
}

/** The certificates of a base64 certs-only answer, as PEM. */
export { certificatesFromCertsOnly } from '../../src/agent/certs-only.ts';
