import { Stream } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { TrustplaneError } from '../core/errors.ts';

/**
 * Values no route may receive, whatever its schema says. Attacker-controlled: the parsed body,
 * query and path parameters of every request. Header values need no check here: Node reads them
 * as Latin-1, which is always well-formed, and refuses NUL, CR and LF in them.
 * - a string that is not well-formed UTF-16 (a lone surrogate, JSON `"\udfff"`): UTF-8 cannot
 *   encode it, so one driver stores U+FFFD in its place and the other fails the query;
 * - a string holding U+0000: PostgreSQL text cannot hold it;
 * - a number that is not finite: JSON `1e400` parses to Infinity, and Ajv's type coercion turns the
 *   query text `Infinity` into a number without its bounds check (ajv 8 skips minimum/maximum for
 *   non-finite numbers).
 */
export function findUnstorableValue(root: unknown): { path: string; problem: string } | undefined {
  // Iterative: a megabyte of `[[[[…` is a legal JSON body and must not exhaust the stack.
  const stack: { value: unknown; path: string }[] = [{ value: root, path: '' }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path } = item;
    if (typeof value === 'string') {
      const problem = stringProblem(value);
      if (problem) return { path: path || '/', problem };
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) return { path: path || '/', problem: 'is not a finite number' };
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push({ value: v, path: `${path}/${i}` }));
    } else if (isRecord(value)) {
      for (const [key, v] of Object.entries(value)) {
        const problem = stringProblem(key);
        if (problem) return { path: `${path}/${printable(key)}`, problem: `has a name that ${problem}` };
        stack.push({ value: v, path: `${path}/${printable(key)}` });
      }
    }
  }
  return undefined;
}

function stringProblem(s: string): string | undefined {
  if (!s.isWellFormed()) return 'is not well-formed Unicode (a lone surrogate)';
  if (s.includes('\u0000')) return 'holds a NUL character';
  return undefined;
}

/**
 * A body parsed from JSON, or a query or params object (the query parser's objects have a
 * prototype of their own); a Buffer (OCSP, EST) is bytes, checked by its own parser, and a
 * stream (an image upload) is bytes still to come, hashed as they arrive: walking it would walk
 * the socket, the server and back.
 */
function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer) && !(v instanceof Stream);
}

/** A path as shown in an error: what the client sent, minus what cannot be shown. */
function printable(key: string): string {
  return key.toWellFormed().replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 64);
}

/**
 * The request's values, checked at the edge of every route (once, after the schema's type
 * coercion, before the handler): 400 VALIDATION_FAILED naming where, never a 5xx or a silently
 * altered value.
 */
export function refuseUnstorableInput(request: FastifyRequest): void {
  for (const [part, value] of [
    ['params', request.params],
    ['querystring', request.query],
    ['body', request.body],
  ] as const) {
    const found = findUnstorableValue(value);
    if (found) throw new TrustplaneError('VALIDATION_FAILED', `${part} ${found.path} ${found.problem}`, { details: { field: `${part}${found.path}` } });
  }
}
