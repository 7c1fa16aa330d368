// Does a server keep a connection open between answers? Asked on the wire rather than assumed:
// one socket, a request asking for keep-alive, then a second request on the same socket. The
// answer decides what a table can compare: a server that closes after every answer makes its
// clients pay a TCP handshake per request (wrk reconnects; its latencies leave the connect out).
import { connect, type Socket } from 'node:net';

export interface ConnectionMode {
  keepAlive: boolean;
  /** The first answer's status line and Connection header, as the server sent them. */
  statusLine: string;
  connectionHeader: string | undefined;
}

/** Bytes of one complete HTTP answer at the start of `data` (Content-Length framed), or 0 while incomplete. */
function answerLength(data: Buffer): number {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return 0;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(data.subarray(0, end).toString('latin1'));
  const total = end + 4 + Number(length?.[1] ?? 0);
  return data.length >= total ? total : 0;
}

/** Resolves with one whole answer, or undefined when the server closed (or stayed silent for `ms`) first. */
function nextAnswer(socket: Socket, ms: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    const finish = (answer: Buffer | undefined): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(answer);
    };
    const onData = (chunk: Buffer): void => {
      data = Buffer.concat([data, chunk]);
      const n = answerLength(data);
      if (n > 0) finish(data.subarray(0, n));
    };
    const onClose = (): void => finish(undefined);
    const timer = setTimeout(() => finish(undefined), ms);
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

/** POSTs `body` to `url` twice over one connection; keepAlive: the second answer came on it. */
export async function probeConnectionMode(url: string, contentType: string, body: Uint8Array): Promise<ConnectionMode> {
  const u = new URL(url);
  const request = Buffer.concat([
    Buffer.from(
      `POST ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: ${contentType}\r\n` +
        `Content-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n`,
    ),
    body,
  ]);
  const socket = connect(Number(u.port), u.hostname);
  socket.on('error', () => undefined); // a reset shows as 'close', which ends the wait
  try {
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    // The request goes out at once: openssl's responder never recovers from a connection that
    // closes before sending one (bench/peers/openssl-ocsp.ts).
    socket.write(request);
    const first = await nextAnswer(socket, 5000);
    if (!first) throw new Error(`${url}: no answer to the connection-mode probe`);
    const head = first.subarray(0, first.indexOf('\r\n\r\n')).toString('latin1').split('\r\n');
    const connectionHeader = head.find((h) => /^connection:/i.test(h))?.replace(/^connection:\s*/i, '');
    // A server that closes after its answer does so at once; give it that moment before asking again.
    await new Promise((resolve) => setTimeout(resolve, 100));
    let keepAlive = false;
    if (!socket.destroyed && socket.readyState === 'open') {
      socket.write(request);
      keepAlive = (await nextAnswer(socket, 2000)) !== undefined;
    }
    return { keepAlive, statusLine: head[0] ?? '', connectionHeader };
  } finally {
    socket.destroy();
  }
}
