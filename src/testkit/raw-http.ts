/**
 * HTTP/1.1 over a bare `node:net` or `node:tls` socket, for tests about the bytes on the wire:
 * header names exactly as sent (fetch, undici and node:http all fold them to lower case), several
 * requests on one kept-alive connection, chunked bodies, HEAD. Not a general client.
 */
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

export interface RawAnswer {
  statusLine: string;
  status: number;
  /** each header line as sent, `Name: value` */
  headerLines: string[];
  /** the value of the header named exactly `name` (case-sensitive, as libest reads it) */
  header(name: string): string | undefined;
  /** true when the body came in chunks (RFC 9112 §7.1) */
  chunked: boolean;
  body: Buffer;
}

export class RawHttpConnection {
  readonly socket: Socket;
  #buffered = Buffer.alloc(0);
  #ended = false;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffered = Buffer.concat([this.#buffered, chunk]);
      this.#wake?.();
    });
    const end = () => {
      this.#ended = true;
      this.#wake?.();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }

  static tcp(port: number, host = '127.0.0.1'): Promise<RawHttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect({ port, host }, () => resolve(new RawHttpConnection(socket)));
      socket.once('error', reject);
    });
  }

  static tls(port: number, options: ConnectionOptions & { host?: string }): Promise<RawHttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', ...options, port }, () => resolve(new RawHttpConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** True once the server has closed its side. */
  get closed(): boolean {
    return this.#ended;
  }

  /** Writes one request and reads one answer off the connection. */
  async exchange(request: Buffer, options: { head?: boolean } = {}): Promise<RawAnswer> {
    this.socket.write(request);
    for (;;) {
      const parsed = parseAnswer(this.#buffered, this.#ended, options.head === true);
      if (parsed) {
        this.#buffered = this.#buffered.subarray(parsed.consumed);
        return parsed.answer;
      }
      if (this.#ended) throw new Error(`the connection closed before a whole answer: ${JSON.stringify(this.#buffered.toString('latin1').slice(0, 400))}`);
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /**
   * A lost answer: writes one request and hangs up on the first bytes of its answer, so the server
   * has done the work (it answers after its unit of work) and the client never reads the answer.
   * Those first bytes' status line, for the caller to check what was lost.
   */
  async sendAndHangUp(request: Buffer): Promise<string> {
    this.socket.write(request);
    while (this.#buffered.length === 0) {
      if (this.#ended) throw new Error('the connection closed before any answer');
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    this.close();
    return this.#buffered.toString('latin1').split('\r\n', 1)[0]!;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** An HTTP/1.1 request's bytes; `Host` first, `Content-Length` when there is a body. */
export function rawRequest(method: string, path: string, headers: [string, string][] = [], body?: Buffer | string): Buffer {
  const bytes = body === undefined ? undefined : Buffer.from(body);
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...headers.map(([n, v]) => `${n}: ${v}`)];
  if (bytes) lines.push(`Content-Length: ${bytes.length}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), bytes ?? Buffer.alloc(0)]);
}

/** Every header name canonical, and `Content-Length` (as spelt) equal to the body's length. */
export function assertCanonicalWire(answer: RawAnswer): void {
  assert.deepEqual(lowerCaseNames(answer.headerLines), [], answer.headerLines.join('\n'));
  assert.equal(answer.header('Content-Length'), String(answer.body.length), answer.headerLines.join('\n'));
}

/** RFC 7617 HTTP Basic, as a header line for rawRequest. */
export function basicAuthorization(user: string, password: string): [string, string] {
  return ['Authorization', `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`];
}

/** The header names of an answer with a word that does not begin with a capital (`content-type`, `Www-authenticate`). */
export function lowerCaseNames(headerLines: string[]): string[] {
  return headerLines.map((l) => l.slice(0, l.indexOf(':'))).filter((name) => name.split('-').some((word) => !/^[A-Z]/.test(word)));
}

function parseAnswer(data: Buffer, ended: boolean, head: boolean): { answer: RawAnswer; consumed: number } | undefined {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const [statusLine = '', ...headerLines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
  const header = (name: string) => headerLines.find((l) => l.startsWith(`${name}:`))?.slice(name.length + 1).trim();
  // Framing is read case-insensitively (RFC 9112 §6): the assertions, not the parser, judge case.
  const framing = (name: string) => headerLines.find((l) => l.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
  const chunked = /chunked/i.test(framing('transfer-encoding') ?? '');
  const start = headEnd + 4;
  const answer = (body: Buffer): RawAnswer => ({ statusLine, status, headerLines, header, chunked, body });
  if (head || status === 204 || status === 304) return { answer: answer(Buffer.alloc(0)), consumed: start };
  if (chunked) {
    const chunks: Buffer[] = [];
    let at = start;
    for (;;) {
      const lineEnd = data.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
      if (data.length < lineEnd + 2 + size + 2) return undefined;
      if (size === 0) return { answer: answer(Buffer.concat(chunks)), consumed: lineEnd + 4 };
      chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
  const length = framing('content-length');
  if (length !== undefined) {
    const end = start + Number(length);
    return data.length >= end ? { answer: answer(data.subarray(start, end)), consumed: end } : undefined;
  }
  return ended ? { answer: answer(data.subarray(start)), consumed: data.length } : undefined;
}
