import { ServerResponse, type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';

/**
 * Header names on the wire in their canonical case (`Content-Type`, `WWW-Authenticate`).
 *
 * RFC 9110 §5.1 makes field names case-insensitive, but EST clients deployed in devices do not all
 * read them so: libest (the RFC 7030 reference client, in C) matches `Content-Type`,
 * `WWW-Authenticate`, `Retry-After` byte for byte. Fastify keeps reply headers lower-cased and hands
 * them to `writeHead` in one object; this response class rewrites the names there and in
 * `setHeader`, the two ways a name reaches Node's serializer. Pass it as the `ServerResponse` option
 * of the http(s) server. The headers Node writes itself (`Date`, `Connection`, `Keep-Alive`,
 * `Transfer-Encoding`) are already canonical.
 */
export class CanonicalHeaderResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  override setHeader(name: string, value: number | string | readonly string[]): this {
    return super.setHeader(canonicalHeaderName(name), value);
  }

  override appendHeader(name: string, value: string | readonly string[]): this {
    return super.appendHeader(canonicalHeaderName(name), value);
  }

  override writeHead(statusCode: number, reasonOrHeaders?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this {
    if (typeof reasonOrHeaders === 'string') return super.writeHead(statusCode, reasonOrHeaders, headers && canonicalHeaders(headers));
    return super.writeHead(statusCode, reasonOrHeaders && canonicalHeaders(reasonOrHeaders));
  }
}

/** Names whose canonical form is not one capital per hyphen-separated word (RFC 9110, RFC 7030). */
const irregular: ReadonlyMap<string, string> = new Map([
  ['www-authenticate', 'WWW-Authenticate'], // RFC 9110 §11.6.1
  ['etag', 'ETag'], // RFC 9110 §8.8.3
  ['te', 'TE'], // RFC 9110 §10.1.4
  ['content-md5', 'Content-MD5'],
  ['x-xss-protection', 'X-XSS-Protection'],
]);

const memo = new Map<string, string>();
const MEMO_LIMIT = 256; // names come from our code, not from requests; the bound is a safeguard

/** `content-type` → `Content-Type`, `www-authenticate` → `WWW-Authenticate`. */
export function canonicalHeaderName(name: string): string {
  const hit = memo.get(name);
  if (hit !== undefined) return hit;
  const lower = name.toLowerCase();
  const canonical = irregular.get(lower) ?? lower.replace(/(^|-)([a-z])/g, (_m, dash: string, letter: string) => dash + letter.toUpperCase());
  if (memo.size < MEMO_LIMIT) memo.set(name, canonical);
  return canonical;
}

function canonicalHeaders(headers: OutgoingHttpHeaders | OutgoingHttpHeader[]): OutgoingHttpHeaders | OutgoingHttpHeader[] {
  // Node also takes a flat [name, value, name, value, …] array.
  if (Array.isArray(headers)) return headers.map((item, i) => (i % 2 === 0 && typeof item === 'string' ? canonicalHeaderName(item) : item));
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) out[canonicalHeaderName(name)] = value;
  return out;
}
