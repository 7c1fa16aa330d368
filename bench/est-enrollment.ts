// EST simpleenroll (RFC 7030 §4.2.1) over TLS: bench/est-server.ts in a child process, N fresh
// devices with one-time tokens from enrollment batches, and `clients` closed-loop clients that
// trust only the root. Two ways to connect: keep-alive (one TLS connection per client), and a new
// connection with a full handshake per request (no session resumption), as a fleet of devices
// that each enroll once would.
import { BENCH_SKU } from './fixtures.ts';
import type { EstServerReady } from './est-server.ts';
import { runHttpLoad, type ClientIdentity, type Connections, type HttpLoadResult } from './load/http-load.ts';
import { locationArgument, startServerProcess, usageBetween, type ServerProcess } from './server-process.ts';
import type { DatabaseLocation } from '../src/store/database.ts';
import { certificatesFromCertsOnly } from '../src/agent/certs-only.ts';
import { makeCsr } from '../src/testkit/csr.ts';

export type EstConnections = Connections;

/** The load's figures, and where its CPU went: per enrollment, in the server and in the clients. */
export type EstLoadResult = HttpLoadResult & {
  /** Server process CPU (all threads) per enrollment, ms. */
  serverCpuMs: number;
  /** Share of the load's wall time the server's main thread was busy. */
  serverLoopUtilisation: number;
  /** The load generator's CPU (TLS client side included) per enrollment, ms. */
  clientCpuMs: number;
};

/** The API takes at most this many serials per batch (docs/design/enrollment.md, "Batch rules"). */
const MAX_BATCH_SERIALS = 10_000;

export function startEstServer(location: DatabaseLocation): Promise<ServerProcess<EstServerReady>> {
  return startServerProcess<EstServerReady>('./est-server.ts', [locationArgument(location)]);
}

/** `n` fresh serials `<prefix>000001`… with their one-time tokens, through `POST /v1/products/:sku/batches`. */
export async function createEnrollmentTokens(
  server: EstServerReady,
  prefix: string,
  n: number,
): Promise<{ serial: string; token: string }[]> {
  const validUntil = new Date(Date.now() + 24 * 3_600_000).toISOString();
  const width = Math.max(6, String(n).length);
  const tokens: { serial: string; token: string }[] = [];
  for (let from = 1; from <= n; from += MAX_BATCH_SERIALS) {
    const to = Math.min(n, from + MAX_BATCH_SERIALS - 1);
    const answer = await fetch(`${server.apiUrl}/v1/products/${BENCH_SKU}/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
      body: JSON.stringify({ factory: 'bench line', range: { prefix, from, to, width }, validUntil }),
    });
    if (answer.status !== 201)
      throw new Error(`creating a batch: HTTP ${answer.status} ${(await answer.text()).slice(0, 300)}`);
    tokens.push(...((await answer.json()) as { tokens: { serial: string; token: string }[] }).tokens);
  }
  if (tokens.length !== n) throw new Error(`asked for ${n} tokens, got ${tokens.length}`);
  return tokens;
}

/**
 * A cheap check of a simpleenroll answer: 200, `application/pkcs7-mime`, a base64 body that
 * decodes to exactly one DER SEQUENCE (the certs-only SignedData). The certificate is not parsed:
 * that would put pkijs in the hot loop of the load generator.
 */
export function checkSimpleEnrollAnswer(status: number, body: Buffer, contentType: string | undefined): void {
  if (status !== 200) throw new Error(`simpleenroll: HTTP ${status} ${body.toString('utf8').slice(0, 300)}`);
  if (!/^application\/pkcs7-mime/i.test(contentType ?? ''))
    throw new Error(`simpleenroll: content type ${contentType ?? '(none)'}`);
  const der = Buffer.from(body.toString('latin1'), 'base64');
  if (der.length < 4 || der[0] !== 0x30) throw new Error('simpleenroll: the body is not base64 of a DER SEQUENCE');
  const lengthOctets = der[1]! & 0x80 ? der[1]! & 0x7f : 0;
  let length = lengthOctets === 0 ? der[1]! : 0;
  for (let k = 0; k < lengthOctets; k++) length = length * 256 + der[2 + k]!;
  if (der.length !== 2 + lengthOctets + length)
    throw new Error(`simpleenroll: DER length ${2 + lengthOctets + length}, body ${der.length} bytes`);
}

/** A load (runHttpLoad or another closed loop of `total` operations), with the CPU the server and this process (the clients) spent on it. */
export async function measuredLoad<T extends HttpLoadResult>(
  server: ServerProcess<unknown>,
  total: number,
  load: () => Promise<T>,
): Promise<T & Omit<EstLoadResult, keyof HttpLoadResult>> {
  const serverBefore = await server.probe();
  const clientBefore = process.cpuUsage();
  const result = await load();
  const client = process.cpuUsage(clientBefore);
  const usage = usageBetween(serverBefore, await server.probe(), total);
  return {
    ...result,
    serverCpuMs: usage.cpuMsPerRequest,
    serverLoopUtilisation: usage.loopUtilisation,
    clientCpuMs: (client.user + client.system) / 1000 / total,
  };
}

/**
 * `n` fresh devices enrolled over EST before any clock starts: serials and one-time tokens from
 * batches, a P-256 key and CSR each, simpleenroll over keep-alive TLS by `clients` clients. Each
 * comes back with its key and its certificate (PEM), to present over mutual TLS.
 */
export async function enrollDevices(
  server: EstServerReady,
  prefix: string,
  n: number,
  clients: number,
): Promise<(ClientIdentity & { serial: string })[]> {
  const tokens = await createEnrollmentTokens(server, prefix, n);
  const devices = tokens.map(({ serial, token }) => {
    const csr = makeCsr('ecdsa-p256', { commonName: serial });
    return {
      serial,
      keyPem: csr.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      body: Buffer.from(Buffer.from(csr.der).toString('base64')),
      authorization: `Basic ${Buffer.from(`${serial}:${token}`).toString('base64')}`,
    };
  });
  const certificates: string[] = [];
  const result = await runHttpLoad({
    concurrency: clients,
    total: n,
    tls: { caPem: server.rootPem },
    makeRequest: (i) => ({
      method: 'POST',
      url: `${server.estUrl}/.well-known/est/${BENCH_SKU}/simpleenroll`,
      headers: { 'content-type': 'application/pkcs10', authorization: devices[i]!.authorization },
      body: devices[i]!.body,
    }),
    check: (status, body, i, headers) => {
      checkSimpleEnrollAnswer(status, body, headers['content-type']);
      certificates[i] = certificatesFromCertsOnly(body.toString('latin1'))[0]!;
    },
  });
  if (result.errors > 0)
    throw new Error(`enrolling ${n} devices: ${result.errors} errors; first: ${result.firstError ?? '?'}`);
  return devices.map(({ serial, keyPem }, i) => ({ serial, keyPem, certPem: certificates[i]! }));
}

/** `n` simpleenrolls of fresh devices by `clients` clients, on a fresh server at `location`. */
export async function runEstEnrollment(
  location: DatabaseLocation,
  n: number,
  clients: number,
  connections: EstConnections,
  say: (s: string) => void,
): Promise<EstLoadResult> {
  const server = await startEstServer(location);
  try {
    const { estUrl, rootPem } = server.ready;
    say(`    ${n} devices and one-time tokens (batches through the API)…`);
    const tokens = await createEnrollmentTokens(server.ready, connections === 'keep-alive' ? 'EST-KA-' : 'EST-TLS-', n);
    say(`    ${n} CSRs, CN = serial…`);
    // Before the clock: keys, CSRs (RFC 8951: base64 DER bodies) and Basic credentials.
    const requests = tokens.map(({ serial, token }) => ({
      body: Buffer.from(Buffer.from(makeCsr('ecdsa-p256', { commonName: serial }).der).toString('base64')),
      authorization: `Basic ${Buffer.from(`${serial}:${token}`).toString('base64')}`,
    }));
    const url = `${estUrl}/.well-known/est/${BENCH_SKU}/simpleenroll`;
    say(
      `    enrolling, ${clients} clients, ${connections === 'keep-alive' ? 'keep-alive' : 'a new TLS connection per request'}…`,
    );
    const result = await measuredLoad(server, n, () =>
      runHttpLoad({
        concurrency: clients,
        total: n,
        tls: { caPem: rootPem },
        connections,
        makeRequest: (i) => ({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/pkcs10', authorization: requests[i]!.authorization },
          body: requests[i]!.body,
        }),
        check: (status, body, _i, headers) => checkSimpleEnrollAnswer(status, body, headers['content-type']),
      }),
    );
    // The mode is part of what is measured: a resumed session or a shared socket would make it another figure.
    if (result.tlsSessionsResumed > 0) throw new Error(`${result.tlsSessionsResumed} TLS sessions were resumed`);
    if (connections === 'per-request' && result.connectionsOpened < n)
      throw new Error(`${n} requests over ${result.connectionsOpened} connections`);
    return result;
  } finally {
    await server.stop();
  }
}

/**
 * The TLS floor, both ways of connecting, in one server process: the same requests (a CSR-sized
 * body, Basic credentials) to est-server's bare node:https listener. What TLS and HTTP cost alone.
 */
export async function runTlsFloor(
  location: DatabaseLocation,
  n: number,
  clients: number,
  say: (s: string) => void,
): Promise<Record<EstConnections, EstLoadResult>> {
  const server = await startEstServer(location);
  try {
    const { floorUrl, rootPem } = server.ready;
    const body = Buffer.from(Buffer.from(makeCsr('ecdsa-p256', { commonName: 'FLOOR-000001' }).der).toString('base64'));
    const headers = {
      'content-type': 'application/pkcs10',
      authorization: `Basic ${Buffer.from('FLOOR-000001:tpe_0000000000000000000000000000000000').toString('base64')}`,
    };
    const out: Partial<Record<EstConnections, EstLoadResult>> = {};
    for (const connections of ['keep-alive', 'per-request'] as const) {
      say(`  TLS floor (node:https, fixed answer), ${clients} clients, ${connections}…`);
      out[connections] = await measuredLoad(server, n, () =>
        runHttpLoad({
          concurrency: clients,
          total: n,
          tls: { caPem: rootPem },
          connections,
          makeRequest: () => ({
            method: 'POST',
            url: `${floorUrl}/.well-known/est/${BENCH_SKU}/simpleenroll`,
            headers,
            body,
          }),
          check: (status, answer, _i, answerHeaders) =>
            checkSimpleEnrollAnswer(status, answer, answerHeaders['content-type']),
        }),
      );
    }
    return out as Record<EstConnections, EstLoadResult>;
  } finally {
    await server.stop();
  }
}
