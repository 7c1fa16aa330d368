import { systemClock } from '../core/clock.ts';
import { AgentError } from './agent-error.ts';
import { httpCall } from './http-transport.ts';
import { refusalFrom } from './server-refusal.ts';

/** One serial and its one-time enrollment token, as `POST /v1/products/:sku/batches` answers. */
export interface SerialToken {
  readonly serial: string;
  readonly token: string;
}

export interface BatchRequest {
  readonly apiUrl: string;
  readonly adminToken: string;
  /** PEM trust anchors when the API URL is https. */
  readonly caPem?: string;
  readonly product: string;
  readonly prefix: string;
  readonly from: number;
  readonly to: number;
  readonly width: number;
  readonly validUntil: Date;
}

/** Creates an enrollment batch of a serial range for the factory `simulator`; its tokens. */
export async function createSimulatorBatch(r: BatchRequest): Promise<{ batchId: string; tokens: SerialToken[] }> {
  const url = new URL(`${r.apiUrl.replace(/\/+$/, '')}/v1/products/${encodeURIComponent(r.product)}/batches`);
  const body = JSON.stringify({
    factory: 'simulator',
    range: { prefix: r.prefix, from: r.from, to: r.to, width: r.width },
    validUntil: r.validUntil.toISOString(),
  });
  const answer = await httpCall({
    method: 'POST',
    url,
    headers: {
      authorization: `Bearer ${r.adminToken}`,
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body,
    ...(r.caPem !== undefined ? { caPem: r.caPem } : {}),
  });
  if (answer.status !== 201 && answer.status !== 200) throw refusalFrom(answer, systemClock.now());
  const parsed = JSON.parse(answer.body.toString('utf8')) as { batch?: { id?: unknown }; tokens?: unknown };
  const tokens = Array.isArray(parsed.tokens) ? (parsed.tokens as SerialToken[]) : [];
  if (
    typeof parsed.batch?.id !== 'string' ||
    tokens.some((t) => typeof t?.serial !== 'string' || typeof t?.token !== 'string')
  )
    throw new AgentError('refused', 'API_ANSWER_MALFORMED', 'the batch answer lacks its id or tokens');
  return { batchId: parsed.batch.id, tokens };
}
