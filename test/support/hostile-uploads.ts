/**
 * A streamed upload as a hostile client sends it, byte for byte over a bare socket (fetch and
 * node:http would fix the framing): Content-Length honest or lying, chunked, both, a broken
 * chunk, and a client that goes away mid-body, politely (FIN) or not (RST).
 */
import { connect } from 'node:net';
import type { ApiAnswer } from './state-snapshot.ts';

export type Framing =
  | { kind: 'content-length' }
  /** chunk boundaries at these offsets */
  | { kind: 'chunked'; cuts: number[] }
  /** Content-Length above the bytes sent; then the client ends or resets */
  | { kind: 'longer'; extra: number; finish: 'end' | 'reset' }
  /** Content-Length below the bytes sent: the rest reaches the server as the next request */
  | { kind: 'shorter'; by: number }
  /** the client goes away after `at` bytes of the body */
  | { kind: 'dropped'; at: number; chunked: boolean; finish: 'end' | 'reset' }
  /** RFC 9112 §6.3: both framings at once, a request-smuggling shape */
  | { kind: 'content-length and chunked' }
  /** a chunk size that is not hex, after a first good chunk */
  | { kind: 'broken chunk' };

/** Framings after which the server has the whole body it was promised. */
export function isHonest(framing: Framing): boolean {
  return framing.kind === 'content-length' || framing.kind === 'chunked';
}

export interface UploadWire {
  head: Buffer;
  /** the body as written, in pieces (a large body is not one write) */
  pieces: Buffer[];
  /** after the pieces: wait for the answer, half-close (FIN), or reset (RST) */
  finish: 'keep' | 'end' | 'reset';
  /** the length the server is told before the body (Content-Length), if any */
  declared: number | undefined;
}

const PIECE = 16 * 1024;

function split(bytes: Uint8Array, size = PIECE): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(Buffer.from(bytes.subarray(at, at + size)));
  return out;
}

function chunk(bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);
}

function chunks(bytes: Uint8Array, cuts: number[]): Buffer[] {
  const bounds = [...new Set([0, ...cuts.filter((c) => c > 0 && c < bytes.length), bytes.length])].sort((a, b) => a - b);
  return bounds.slice(1).map((end, i) => chunk(bytes.subarray(bounds[i], end)));
}

const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/** The request's bytes: `headerLines` (no framing headers), then the framing's own, then the body. */
export function uploadWire(path: string, headerLines: string[], payload: Uint8Array, framing: Framing): UploadWire {
  const head = (framingLines: string[]) => Buffer.from([`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...headerLines, ...framingLines, '', ''].join('\r\n'), 'latin1');
  const len = payload.length;
  switch (framing.kind) {
    case 'content-length':
      return { head: head([`Content-Length: ${len}`]), pieces: split(payload), finish: 'keep', declared: len };
    case 'chunked':
      return { head: head(['Transfer-Encoding: chunked']), pieces: [...chunks(payload, framing.cuts), LAST_CHUNK], finish: 'keep', declared: undefined };
    case 'longer':
      return { head: head([`Content-Length: ${len + framing.extra}`]), pieces: split(payload), finish: framing.finish, declared: len + framing.extra };
    case 'shorter':
      return { head: head([`Content-Length: ${len - framing.by}`]), pieces: split(payload), finish: 'end', declared: len - framing.by };
    case 'dropped': {
      const sent = payload.subarray(0, framing.at);
      return framing.chunked
        ? { head: head(['Transfer-Encoding: chunked']), pieces: sent.length > 0 ? [chunk(sent)] : [], finish: framing.finish, declared: undefined }
        : { head: head([`Content-Length: ${len}`]), pieces: split(sent), finish: framing.finish, declared: len };
    }
    case 'content-length and chunked':
      return { head: head([`Content-Length: ${len}`, 'Transfer-Encoding: chunked']), pieces: [chunk(payload), LAST_CHUNK], finish: 'keep', declared: len };
    case 'broken chunk':
      return { head: head(['Transfer-Encoding: chunked']), pieces: [chunk(payload.subarray(0, 100)), Buffer.from('zz\r\nhello\r\n'), LAST_CHUNK], finish: 'keep', declared: undefined };
  }
}

/** The bytes the server may take as a whole body, if the framing gives it one. */
export function bodyTheServerGets(payload: Uint8Array, framing: Framing): Uint8Array | undefined {
  if (isHonest(framing)) return payload;
  if (framing.kind === 'shorter') return payload.subarray(0, payload.length - framing.by);
  return undefined;
}

/**
 * Writes `wire` on a fresh connection and reads the first answer, if one comes: undefined when the
 * client resets (it reads nothing) or the server closes without one. Writing stops once an answer
 * has begun (the server refused before the body). `beforeReset` runs between the last piece and the
 * RST: the caller waits there until the server is reading the body it is about to lose.
 */
export async function sendUpload(port: number, wire: UploadWire, options: { waitAfterHead?: boolean; beforeReset?: () => Promise<void> } = {}): Promise<ApiAnswer | undefined> {
  const socket = connect(port, '127.0.0.1');
  let received = Buffer.alloc(0);
  let closed = false;
  let wake: (() => void) | undefined;
  const nudge = () => wake?.();
  socket.on('data', (d: Buffer) => {
    received = Buffer.concat([received, d]);
    nudge();
  });
  socket.on('error', nudge); // EPIPE or ECONNRESET once the server has answered and closed: the answer is already read
  socket.on('close', () => {
    closed = true;
    nudge();
  });
  const event = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(wire.head);
  // A refusal on the headers alone (a declared size over the limit) comes before the body: let it.
  if (options.waitAfterHead) await event(100);
  for (const piece of wire.pieces) {
    if (received.length > 0 || closed) break;
    socket.write(piece);
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (wire.finish === 'reset') {
    await options.beforeReset?.();
    socket.resetAndDestroy();
    return undefined;
  }
  if (wire.finish === 'end' && !closed) socket.end();
  const deadline = Date.now() + 5000;
  for (;;) {
    const answer = parseAnswer(received, closed);
    if (answer || closed) {
      socket.destroy();
      return answer;
    }
    if (Date.now() > deadline) {
      socket.destroy();
      throw new Error(`no answer in 5 s and the connection stays open: ${JSON.stringify(received.toString('latin1').slice(0, 200))}`);
    }
    await event(50);
  }
}

/** The first HTTP/1.1 answer in `data`, once whole (Content-Length, or the connection's end). */
function parseAnswer(data: Buffer, ended: boolean): ApiAnswer | undefined {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const [statusLine = '', ...lines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const header = (name: string) => lines.find((l) => l.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
  const length = header('content-length');
  const start = headEnd + 4;
  if (length === undefined && !ended) return undefined;
  if (length !== undefined && data.length < start + Number(length)) return undefined;
  const text = data.subarray(start, length === undefined ? data.length : start + Number(length)).toString('utf8');
  const type = header('content-type') ?? '';
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN), type, body: type.includes('json') && text ? JSON.parse(text) : text };
}
