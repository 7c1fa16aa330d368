import * as https from 'node:https';
import { systemClock, type Clock } from '../core/clock.ts';
import { AgentError } from './agent-error.ts';
import { httpCall, type HttpAnswer, type TlsClientIdentity } from './http-transport.ts';
import { refusalFrom } from './server-refusal.ts';
import { parseJsonAnswer } from './update/device-api-answers.ts';

export interface DeviceApiOptions {
  /** The device listener's origin, `https://host:port` (the EST server; a `/.well-known/est` suffix is dropped). */
  readonly server: string;
  readonly product: string;
  /** PEM trust anchors for the listener's TLS certificate. */
  readonly caBundlePem: string;
  /** The device's current identity: mutual TLS, as `simplereenroll`. */
  readonly identity: TlsClientIdentity;
  readonly clock?: Clock;
  readonly timeoutMs?: number;
}

/**
 * The device API (`/device/v1/<sku>/<area>/…` on the device listener), authenticated by the
 * device's current certificate; one keep-alive connection pool. A non-2xx answer is an AgentError
 * with the server's problem+json code; an answer of the wrong shape is DEVICE_API_ANSWER_MALFORMED.
 */
export class DeviceApiConnection {
  readonly baseUrl: string;
  readonly #o: DeviceApiOptions;
  readonly #agent = new https.Agent({ keepAlive: true });

  constructor(options: DeviceApiOptions, area: string) {
    const origin = options.server.replace(/\/+$/, '').replace(/\/\.well-known\/est$/, '');
    if (!/^https:\/\//i.test(origin)) throw new AgentError('usage', 'USAGE', 'the device listener URL must be https');
    this.baseUrl = `${origin}/device/v1/${encodeURIComponent(options.product)}/${area}`;
    this.#o = options;
  }

  /** A JSON answer with one of the `ok` statuses, at most `maxBytes`. */
  async json(method: 'GET' | 'POST', op: string, body: string | undefined, ok: number[], maxBytes: number): Promise<Record<string, unknown>> {
    const answer = await this.call(method, op, body, 'application/json', ok);
    if (!/^application\/json/i.test(answer.headers['content-type'] ?? ''))
      throw new AgentError('refused', 'DEVICE_API_ANSWER_MALFORMED', `${op}: the answer is not JSON`);
    return parseJsonAnswer(answer.body, maxBytes, op);
  }

  /** The raw answer of a call whose status is one of `ok`; any other is the server's refusal. */
  async call(method: 'GET' | 'POST', op: string, body: string | undefined, accept: string, ok: number[]): Promise<HttpAnswer> {
    const answer = await httpCall({
      method,
      url: new URL(`${this.baseUrl}/${op}`),
      headers: { accept, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body } : {}),
      caPem: this.#o.caBundlePem,
      clientIdentity: this.#o.identity,
      agent: this.#agent,
      ...(this.#o.timeoutMs !== undefined ? { timeoutMs: this.#o.timeoutMs } : {}),
    });
    if (!ok.includes(answer.status)) throw refusalFrom(answer, (this.#o.clock ?? systemClock).now());
    return answer;
  }

  close(): void {
    this.#agent.destroy();
  }
}
