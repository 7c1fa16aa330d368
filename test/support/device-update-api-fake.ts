/**
 * A COMPROMISED SERVER's device API (issue 12): it answers the agent's three update calls with
 * whatever a test (the attacker) sets, including what the real server never hands out, so the
 * tests can show the agent refusing it. Everything else in the tests that use it (EST enrollment,
 * TUF repository, boot manifests, releases) is the real trustplane server; the real device API is
 * exercised end to end in test/agent-update-e2e.test.ts.
 * It speaks the contract the agent codes against:
 *   GET  /device/v1/<sku>/update/trust       → { product, repository, root, manifestKeys }
 *   GET  /device/v1/<sku>/update/assignment  → { assignment: null | { serial, …, manifest: base64 } }
 *   POST /device/v1/<sku>/update/reports     → 201 { recorded: true } | 200 { recorded: false }
 * over HTTPS with mutual TLS: the client certificate must chain to the server's root (as
 * `simplereenroll`; `clientCaPem` holds the root and the products' issuing CAs). To swap in the real server: drop this file and point the agent at its EST URL.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { EstTlsIdentity } from '../../src/server/est/tls-identity.ts';
import type { Trustplane } from '../../src/server/trustplane.ts';

export interface FakeTrust {
  product: string;
  repository: string;
  root: unknown;
  manifestKeys: { ed25519: string; mlDsa65: string };
}
export interface FakeAssignment {
  /** the device it names; unset: the device asking (as the real server does) */
  serial?: string;
  rolloutId: string;
  releaseId: string;
  targetName: string;
  version: string;
  securityVersion: number;
  kind: 'firmware' | 'config';
  manifest: string;
}
export interface ReceivedReport {
  releaseId: string;
  rolloutId?: string;
  outcome: string;
  reason?: string;
  detail?: string;
  /** the client certificate's subject serialNumber (or CN) */
  device: string;
}

export class DeviceUpdateApiFake {
  url = '';
  trust: FakeTrust | undefined;
  assignment: FakeAssignment | null = null;
  readonly reports: ReceivedReport[] = [];
  /** while set, every call is answered with this status (503: the server is overloaded) */
  failWith: number | undefined;
  #server: Server | undefined;

  static async start(tp: Trustplane, clientCaPem: string): Promise<DeviceUpdateApiFake> {
    const fake = new DeviceUpdateApiFake();
    const tls = await new EstTlsIdentity(tp.identity, ['127.0.0.1']).current();
    fake.#server = createServer({ key: tls.key, cert: tls.cert, ca: clientCaPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const send = (status: number, body: unknown, type = 'application/json') => res.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
        if (fake.failWith !== undefined) return send(fake.failWith, { code: 'OVERLOADED', title: 'busy' }, 'application/problem+json');
        const m = /^\/device\/v1\/([^/]+)\/update\/(trust|assignment|reports)$/.exec(req.url ?? '');
        if (!m) return send(404, { code: 'NOT_FOUND', title: 'no such route' }, 'application/problem+json');
        if (m[2] === 'trust' && req.method === 'GET') return fake.trust ? send(200, fake.trust) : send(404, { code: 'UPDATES_NOT_CONFIGURED' }, 'application/problem+json');
        const subject = (req.socket as TLSSocket).getPeerCertificate().subject as unknown as Record<string, string> | undefined;
        const device = subject?.serialNumber ?? subject?.CN ?? '?';
        if (m[2] === 'assignment' && req.method === 'GET') return send(200, { assignment: fake.assignment && { serial: device, ...fake.assignment } });
        if (m[2] === 'reports' && req.method === 'POST') {
          const report = { ...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<ReceivedReport, 'device'>), device };
          const repeat = fake.reports.some((r) => r.device === report.device && r.releaseId === report.releaseId && r.outcome === report.outcome && r.reason === report.reason);
          fake.reports.push(report);
          return repeat ? send(200, { recorded: false }) : send(201, { recorded: true });
        }
        return send(405, { code: 'METHOD_NOT_ALLOWED' }, 'application/problem+json');
      });
    });
    await new Promise<void>((resolve) => fake.#server!.listen(0, '127.0.0.1', resolve));
    fake.url = `https://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server?.closeAllConnections();
      this.#server?.close(() => resolve());
    });
  }
}
