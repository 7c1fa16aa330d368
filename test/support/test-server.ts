import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { FakeClock } from '../../src/core/clock.ts';
import { buildApp } from '../../src/server/app.ts';
import { startEstListener } from '../../src/server/est/est-listener.ts';
import { toPem } from '../../src/core/pem.ts';
import { Trustplane, type TrustplaneOptions } from '../../src/server/trustplane.ts';
import type { DatabaseLocation } from '../../src/store/database.ts';
import type { DatabaseTarget } from './databases.ts';

export interface TestServer {
  url: string;
  tp: Trustplane;
  app: FastifyInstance;
  clock: FakeClock;
  adminToken: string;
  location: DatabaseLocation;
  kek: Uint8Array;
  home: string;
  /** with `est: true`: the EST listener, https://127.0.0.1:PORT (TLS certificate from the root) */
  estUrl: string | undefined;
  estApp: FastifyInstance | undefined;
  /** the root CA certificate, PEM: the trust anchor for the EST listener's TLS */
  rootPem: string;
  /** JSON call to the API; the answer's status, content type and parsed body. */
  api(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; type: string; body: any }>;
  /** A product through the API (asserted created); the answer's body. */
  createProduct(product: { sku: string } & Record<string, unknown>): Promise<any>;
  /**
   * An enrollment batch through the API (asserted created): its id and each serial's one-time token.
   * `validForMs` (default a day) counts from the server's clock, unless `validUntil` is given.
   */
  createBatch(
    sku: string,
    batch: { serials?: string[]; range?: Record<string, unknown>; factory?: string; validForMs?: number; validUntil?: string },
  ): Promise<{ id: string; tokens: Map<string, string> }>;
  /** Stops the server; keeps the database unless `destroy` */
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * A real trustplane server on a loopback port, with a fake clock, on the given storage target.
 * Pass `reuse` to start again on the same database and KEK (restart tests).
 */
export async function startTestServer(args: {
  target: DatabaseTarget;
  clock?: FakeClock;
  reuse?: { location: DatabaseLocation; kek: Uint8Array; home: string };
  logStream?: DestinationStream;
  /** also start the EST (RFC 7030) HTTPS listener */
  est?: boolean;
  /** see TrustplaneOptions.issuanceQueueLimit */
  issuanceQueueLimit?: number;
  /** see TrustplaneOptions.crl */
  crl?: TrustplaneOptions['crl'];
  /** see TrustplaneOptions.updates */
  updates?: TrustplaneOptions['updates'];
  /** see TrustplaneOptions.securityContact */
  securityContact?: TrustplaneOptions['securityContact'];
  /** see TrustplaneOptions.attestation */
  attestation?: TrustplaneOptions['attestation'];
}): Promise<TestServer> {
  const clock = args.clock ?? new FakeClock(new Date());
  const home = args.reuse?.home ?? mkdtempSync(join(tmpdir(), 'tp-test-'));
  const location = args.reuse?.location ?? (await args.target.fresh(join(home, 'db')));
  const kek = args.reuse?.kek ?? new Uint8Array(Buffer.alloc(32, 7));
  const tp = await Trustplane.open({
    database: location,
    kek,
    clock,
    ...(args.issuanceQueueLimit === undefined ? {} : { issuanceQueueLimit: args.issuanceQueueLimit }),
    ...(args.crl === undefined ? {} : { crl: args.crl }),
    ...(args.updates === undefined ? {} : { updates: args.updates }),
    ...(args.securityContact === undefined ? {} : { securityContact: args.securityContact }),
    ...(args.attestation === undefined ? {} : { attestation: args.attestation }),
    home,
  });
  await tp.initialise();
  const app = await buildApp(tp, { maxBodyBytes: 1024 * 1024, logLevel: args.logStream ? 'info' : 'silent', ...(args.logStream ? { logStream: args.logStream } : {}) });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  tp.setPublicUrl(url);
  const est = args.est ? await startEstListener(tp, { host: '127.0.0.1', port: 0, logLevel: args.logStream ? 'info' : 'silent', ...(args.logStream ? { logStream: args.logStream } : {}) }) : undefined;
  const rootPem = toPem((await tp.identity.store.findRootCa())!.certificate, 'CERTIFICATE');
  const { secret: adminToken } = await tp.tokens.create({ role: 'admin', owner: 'test-admin', ttlSeconds: 12 * 3600 }, 'test');

  const api: TestServer['api'] = async (method, path, body, token) => {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token ?? adminToken}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url + path, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
    const type = res.headers.get('content-type') ?? '';
    const text = await res.text();
    return { status: res.status, type, body: type.includes('json') && text ? JSON.parse(text) : text };
  };
  const createProduct: TestServer['createProduct'] = async (product) => {
    const answer = await api('POST', '/v1/products', product);
    if (answer.status !== 201) throw new Error(`product ${product.sku}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const createBatch: TestServer['createBatch'] = async (sku, batch) => {
    const { validForMs, ...rest } = batch;
    const validUntil = batch.validUntil ?? new Date(clock.now().getTime() + (validForMs ?? 86_400_000)).toISOString();
    const answer = await api('POST', `/v1/products/${sku}/batches`, { factory: 'line-1', ...rest, validUntil });
    if (answer.status !== 201) throw new Error(`batch for ${sku}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return { id: answer.body.batch.id as string, tokens: new Map((answer.body.tokens as { serial: string; token: string }[]).map((t) => [t.serial, t.token])) };
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await est?.close();
    await app.close();
    await tp.close();
  };
  return {
    url,
    tp,
    app,
    clock,
    adminToken,
    location,
    kek,
    home,
    estUrl: est?.url,
    estApp: est?.app,
    rootPem,
    api,
    createProduct,
    createBatch,
    stop,
    destroy: async () => {
      await stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
