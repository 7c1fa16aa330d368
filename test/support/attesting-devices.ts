import assert from 'node:assert/strict';
import { makeCsr } from '../../src/testkit/csr.ts';
import { RawHttpConnection, rawRequest } from '../../src/testkit/raw-http.ts';
import { estRequest } from './est-client.ts';
import type { TestServer } from './test-server.ts';

/** A device's certificate and private key, PEM, as its agent holds them. */
export interface DeviceCredentials {
  cert: string;
  key: string;
}

/** Registers and enrolls each serial through the API, each with its own P-256 key; its credentials into `devices`. */
export async function enrollDevices(server: TestServer, sku: string, serials: readonly string[], devices: Map<string, DeviceCredentials>): Promise<void> {
  for (const serial of serials) {
    assert.equal((await server.api('POST', `/v1/products/${sku}/devices`, { serial })).status, 201);
    const csr = makeCsr('ecdsa-p256');
    const enrolled = await server.api('POST', `/v1/products/${sku}/devices/${serial}/enroll`, { csr: csr.pem });
    assert.equal(enrolled.status, 201);
    devices.set(serial, { cert: enrolled.body.certificate, key: csr.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() });
  }
}

/** POST to an attestation route of the device listener over mutual TLS as `device` (no client certificate when undefined), a JSON body. */
export function onAttestationRoute(server: TestServer, sku: string, device: DeviceCredentials | undefined, path: string, body?: unknown) {
  return estRequest(`${server.estUrl}/device/v1/${sku}/attestation/${path}`, 'POST', {
    ca: server.rootPem,
    ...(device ? { cert: device.cert, key: device.key } : {}),
    ...(body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' }),
  });
}

/**
 * The same POST as `onAttestationRoute`, its answer lost: sent on a raw TLS connection as `device`,
 * which hangs up on the answer's first bytes. The status line of the answer the device never read.
 */
export async function onAttestationRouteAnswerLost(server: TestServer, sku: string, device: DeviceCredentials, path: string, body: unknown): Promise<string> {
  const conn = await deviceConnection(server, device);
  return conn.sendAndHangUp(rawRequest('POST', `/device/v1/${sku}/attestation/${path}`, [['Content-Type', 'application/json'], ['Connection', 'close']], JSON.stringify(body)));
}

/** A raw TLS connection to the device listener as `device` (mutual TLS), for the bytes on the wire. */
export function deviceConnection(server: TestServer, device: DeviceCredentials): Promise<RawHttpConnection> {
  return RawHttpConnection.tls(Number(new URL(server.estUrl!).port), { ca: server.rootPem, servername: 'localhost', cert: device.cert, key: device.key });
}
