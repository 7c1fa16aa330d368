import * as https from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import { systemClock, type Clock } from '../core/clock.ts';
import { TrustplaneError } from '../core/errors.ts';
import type { KeyAlgorithm } from '../crypto/key-algorithm.ts';
import { keyAlgorithmFromCsrAttributes } from '../enrollment/csr-attributes.ts';
import { AgentError } from './agent-error.ts';
import { certificatesFromCertsOnly } from './certs-only.ts';
import { httpCall, type HttpAnswer, type TlsClientIdentity } from './http-transport.ts';
import { refusalFrom } from './server-refusal.ts';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;
export const realSleep: Sleep = (ms, signal) => delay(ms, undefined, signal ? { signal } : undefined);

export interface EstClientOptions {
  /** `https://host:port`, or a URL that already ends in `/.well-known/est`. */
  readonly server: string;
  /** The product SKU: the RFC 7030 §3.2.2 label. */
  readonly product: string;
  /** PEM trust anchors for the EST server's TLS certificate. */
  readonly caBundlePem: string;
  /** Shared between clients to reuse connections; one keep-alive agent per client otherwise. */
  readonly agent?: https.Agent;
  /** How often a 202 or 503 with Retry-After is tried in all (RFC 7030 §4.2.3); default 3. */
  readonly attempts?: number;
  /** The longest Retry-After waited for in place; a longer one is left to the caller. Default 5 min. */
  readonly maxRetryAfterMs?: number;
  readonly clock?: Clock;
  readonly sleep?: Sleep;
}

/** How a simpleenroll authenticates: a one-time token (Basic) or a bootstrap certificate over TLS. */
export type EnrollmentCredential =
  | { readonly kind: 'token'; readonly serial: string; readonly token: string }
  | { readonly kind: 'bootstrap'; readonly identity: TlsClientIdentity };

/** ACME ARI (RFC 9773 §4.2) shape of `/.well-known/est/<sku>/renewal-info`. */
export interface RenewalWindow {
  readonly start: Date;
  readonly end: Date;
}

interface EstCall {
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly identity?: TlsClientIdentity | undefined;
  readonly onSent?: (() => void) | undefined;
}

/** An EST (RFC 7030) client for one product. */
export class EstClient {
  readonly baseUrl: string;
  readonly #options: EstClientOptions;
  readonly #agent: https.Agent;

  constructor(options: EstClientOptions) {
    const base = options.server.replace(/\/+$/, '');
    this.baseUrl = base.endsWith('/.well-known/est') ? base : `${base}/.well-known/est`;
    if (!/^https:\/\//i.test(this.baseUrl)) throw new AgentError('usage', 'USAGE', 'the EST server URL must be https');
    this.#options = options;
    this.#agent = options.agent ?? new https.Agent({ keepAlive: true });
  }

  /** RFC 7030 §4.1: the product's CA certificates (issuing CA, root), PEM. */
  async caCertificates(): Promise<string[]> {
    return certificatesFromCertsOnly(await this.#text('GET', 'cacerts', {}, /^application\/pkcs7-mime/i));
  }

  /** RFC 7030 §4.5: the key algorithm the product's CA wants in a CSR. */
  async keyAlgorithm(): Promise<KeyAlgorithm> {
    const b64 = await this.#text('GET', 'csrattrs', {}, /^application\/csrattrs/i);
    try {
      return keyAlgorithmFromCsrAttributes(Buffer.from(b64.replace(/\s+/g, ''), 'base64'));
    } catch (e) {
      if (e instanceof TrustplaneError) throw new AgentError('refused', e.code, e.message, { cause: e });
      throw e;
    }
  }

  /** RFC 7030 §4.2.1: the first certificate; the issued certificate, PEM. */
  async simpleEnroll(
    csrDer: Uint8Array,
    credential: EnrollmentCredential,
    options: { station?: string | undefined; onRequestSent?: () => void } = {},
  ): Promise<string> {
    const headers: Record<string, string> = {};
    if (credential.kind === 'token') {
      // RFC 7030 §3.2.3: HTTP Basic, the serial as user and the one-time token as password.
      headers.authorization = `Basic ${Buffer.from(`${credential.serial}:${credential.token}`).toString('base64')}`;
    }
    if (options.station !== undefined) headers['trustplane-station'] = options.station;
    const identity = credential.kind === 'bootstrap' ? credential.identity : undefined;
    return this.#issued('simpleenroll', csrDer, { headers, identity, onSent: options.onRequestSent });
  }

  /** RFC 7030 §4.2.2: renewal, authenticated by the current certificate over TLS. */
  async simpleReenroll(
    csrDer: Uint8Array,
    current: TlsClientIdentity,
    options: { onRequestSent?: () => void } = {},
  ): Promise<string> {
    return this.#issued('simplereenroll', csrDer, { headers: {}, identity: current, onSent: options.onRequestSent });
  }

  /** The window in which the server suggests renewing `current`. */
  async renewalInfo(current: TlsClientIdentity): Promise<RenewalWindow> {
    const text = await this.#text('GET', 'renewal-info', { identity: current }, /json/i);
    const window = (JSON.parse(text) as { suggestedWindow?: { start?: unknown; end?: unknown } }).suggestedWindow;
    const start = typeof window?.start === 'string' ? new Date(window.start) : undefined;
    const end = typeof window?.end === 'string' ? new Date(window.end) : undefined;
    if (!start || !end || Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end < start)
      throw new AgentError('refused', 'EST_ANSWER_MALFORMED', 'renewal-info holds no valid suggestedWindow');
    return { start, end };
  }

  async #issued(op: string, csrDer: Uint8Array, call: Omit<EstCall, 'body'>): Promise<string> {
    // RFC 8951 §3.2: the PKCS#10 body is base64 DER.
    const body = Buffer.from(csrDer).toString('base64');
    const headers = { ...call.headers, 'content-type': 'application/pkcs10' };
    const text = await this.#text('POST', op, { ...call, headers, body }, /^application\/pkcs7-mime/i);
    const [certificate] = certificatesFromCertsOnly(text);
    return certificate!;
  }

  async #text(method: 'GET' | 'POST', op: string, call: EstCall, expectedType: RegExp): Promise<string> {
    const answer = await this.#exchange(method, op, call);
    const type = answer.headers['content-type'] ?? '';
    if (!expectedType.test(type))
      throw new AgentError('refused', 'EST_ANSWER_MALFORMED', `${op}: unexpected content type ${type || '(none)'}`);
    return answer.body.toString('utf8');
  }

  /** RFC 7030 §4.2.3: a 202 (or a 503) with Retry-After is repeated, as is, after that delay. */
  async #exchange(method: 'GET' | 'POST', op: string, call: EstCall): Promise<HttpAnswer> {
    const { clock = systemClock, sleep = realSleep, attempts = 3, maxRetryAfterMs = 300_000 } = this.#options;
    for (let attempt = 1; ; attempt++) {
      const answer = await httpCall({
        method,
        url: new URL(`${this.baseUrl}/${encodeURIComponent(this.#options.product)}/${op}`),
        headers: call.headers ?? {},
        ...(call.body !== undefined ? { body: call.body } : {}),
        caPem: this.#options.caBundlePem,
        clientIdentity: call.identity,
        agent: this.#agent,
        onSent: call.onSent,
      });
      if (answer.status === 200) return answer;
      const refusal = refusalFrom(answer, clock.now());
      const waitMs = (refusal.retryAfterSeconds ?? -1) * 1000;
      const again = (answer.status === 202 || answer.status === 503) && waitMs >= 0 && waitMs <= maxRetryAfterMs;
      if (!again || attempt >= attempts) throw refusal;
      await sleep(waitMs);
    }
  }

  /** Closes idle keep-alive connections (only of an agent this client made). */
  close(): void {
    if (!this.#options.agent) this.#agent.destroy();
  }
}
