import type { IncomingHttpHeaders } from 'node:http';
import { AgentError } from './agent-error.ts';
import type { HttpAnswer } from './http-transport.ts';

/**
 * RFC 9110 §10.2.3 Retry-After: delay-seconds or an HTTP-date, as seconds from `now`.
 * Anything else is ignored (undefined), never read as "retry at once".
 */
export function retryAfterSeconds(headers: IncomingHttpHeaders, now: Date): number | undefined {
  const value = headers['retry-after'];
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/GMT$/.test(text)) return undefined;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

/**
 * A non-2xx answer (or a 202, RFC 7030 §4.2.3) as an AgentError. An RFC 9457 problem+json body
 * gives the server's stable `code` and its safe `detail`; anything else (a proxy's page) is named
 * by its HTTP status.
 */
export function refusalFrom(answer: HttpAnswer, now: Date): AgentError {
  const retryAfter = retryAfterSeconds(answer.headers, now);
  const options = { httpStatus: answer.status, ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}) };
  const problem = problemOf(answer);
  if (problem) return new AgentError('refused', problem.code, problem.text ?? `HTTP ${answer.status}`, options);
  const text = answer.status === 202 ? 'the request is pending' : `HTTP ${answer.status}`;
  return new AgentError('refused', `HTTP_${answer.status}`, text, options);
}

function problemOf(answer: HttpAnswer): { code: string; text: string | undefined } | undefined {
  if (!/json/i.test(answer.headers['content-type'] ?? '')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { code, detail, title } = parsed as Record<string, unknown>;
  if (typeof code !== 'string' || !/^[A-Z0-9_]{1,64}$/.test(code)) return undefined;
  const text = typeof detail === 'string' && detail !== '' ? detail : typeof title === 'string' ? title : undefined;
  return { code, text: text?.slice(0, 300) };
}
