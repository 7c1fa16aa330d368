import * as https from 'node:https';
import { systemClock, type Clock } from '../../core/clock.ts';
import { AgentError } from '../agent-error.ts';
import { httpCall, type TlsClientIdentity } from '../http-transport.ts';
import { refusalFrom } from '../server-refusal.ts';
import {
  MAX_ASSIGNMENT_ANSWER_BYTES,
  MAX_REPORT_ANSWER_BYTES,
  MAX_TRUST_ANSWER_BYTES,
  parseAssignmentAnswer,
  parseJsonAnswer,
  parseReportAnswer,
  parseTrustAnswer,
} from './device-api-answers.ts';
import type { UpdateApi, UpdateAssignment, UpdateReport, UpdateTrust } from './update.types.ts';

export interface DeviceUpdateApiOptions {
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

const MAX_DETAIL_CHARS = 500;

/**
 * The update calls of the device API (`/device/v1/<sku>/update/…` on the device listener),
 * authenticated by the device's current certificate. A non-2xx answer is an AgentError with the
 * server's problem+json code; an answer of the wrong shape is DEVICE_API_ANSWER_MALFORMED.
 */
export class DeviceUpdateApi implements UpdateApi {
  readonly baseUrl: string;
  readonly #o: DeviceUpdateApiOptions;
  readonly #agent = new https.Agent({ keepAlive: true });

  constructor(options: DeviceUpdateApiOptions) {
    const origin = options.server.replace(/\/+$/, '').replace(/\/\.well-known\/est$/, '');
    if (!/^https:\/\//i.test(origin)) throw new AgentError('usage', 'USAGE', 'the device listener URL must be https');
    this.baseUrl = `${origin}/device/v1/${encodeURIComponent(options.product)}/update`;
    this.#o = options;
  }

  async trust(): Promise<UpdateTrust> {
    const o = await this.#json('GET', 'trust', undefined, [200], MAX_TRUST_ANSWER_BYTES);
    return parseTrustAnswer(o, this.#o.product);
  }

  async assignment(): Promise<UpdateAssignment | null> {
    return parseAssignmentAnswer(await this.#json('GET', 'assignment', undefined, [200], MAX_ASSIGNMENT_ANSWER_BYTES));
  }

  /** 201 recorded, 200 a repeat (its answer was lost): both are success (DESIGN rule 8). */
  async report(report: UpdateReport): Promise<{ recorded: boolean }> {
    const body = JSON.stringify({
      releaseId: report.releaseId,
      ...(report.rolloutId !== undefined ? { rolloutId: report.rolloutId } : {}),
      outcome: report.outcome,
      ...(report.reason !== undefined ? { reason: report.reason } : {}),
      ...(report.detail !== undefined ? { detail: report.detail.slice(0, MAX_DETAIL_CHARS) } : {}),
    });
    return parseReportAnswer(await this.#json('POST', 'reports', body, [200, 201], MAX_REPORT_ANSWER_BYTES));
  }

  close(): void {
    this.#agent.destroy();
  }

  async #json(
    method: 'GET' | 'POST',
    op: string,
    body: string | undefined,
    ok: number[],
    maxBytes: number,
  ): Promise<Record<string, unknown>> {
    const answer = await httpCall({
      method,
      url: new URL(`${this.baseUrl}/${op}`),
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body } : {}),
      caPem: this.#o.caBundlePem,
      clientIdentity: this.#o.identity,
      agent: this.#agent,
      ...(this.#o.timeoutMs !== undefined ? { timeoutMs: this.#o.timeoutMs } : {}),
    });
    if (!ok.includes(answer.status)) throw refusalFrom(answer, (this.#o.clock ?? systemClock).now());
    if (!/^application\/json/i.test(answer.headers['content-type'] ?? ''))
      throw new AgentError('refused', 'DEVICE_API_ANSWER_MALFORMED', `${op}: the answer is not JSON`);
    return parseJsonAnswer(answer.body, maxBytes, op);
  }
}
