// The trustplane side of the EST scenarios, in a process of its own (as bench/http-server.ts):
//   node bench/est-server.ts <pglite-dir | postgres-url>
// Opens and initialises trustplane, creates the bench product (no devices: enrollment batches
// register them), starts the /v1 API and the EST listener (HTTPS, TLS server certificate from the
// root) on loopback ports, and prints one JSON line {apiUrl, estUrl, token, rootPem}: `token` is an
// admin API token, to create batches with. It stops when its stdin closes. BENCH_SERVER_PROFILE:
// see bench/serving-profile.ts (here the profile includes the batch creation through the API).
//
// `floorUrl`: the TLS floor, a bare node:https server in this process with a TLS certificate made
// the same way (P-256 key, signed by the root, client certificate asked for), answering every
// request with a fixed certs-only body: what TLS and HTTP alone cost, without EST or issuance;
// idle connections are kept as long as the EST listener keeps them.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../src/server/app.ts';
import { certsOnlyBase64 } from '../src/server/est/certs-only.ts';
import { startEstListener } from '../src/server/est/est-listener.ts';
import { EstTlsIdentity } from '../src/server/est/tls-identity.ts';
import { toPem } from '../src/core/pem.ts';
import { openPrepared } from './fixtures.ts';
import { locationFromArgument, serveUntilStdinEnds } from './server-process.ts';
import { startServingProfile } from './serving-profile.ts';

export interface EstServerReady {
  apiUrl: string;
  estUrl: string;
  token: string;
  rootPem: string;
  floorUrl: string;
}

const location = locationFromArgument(process.argv[2] ?? '');

// One bench agent attests hundreds of times in a minute: the per-device nonce limit (60 an hour)
// raised out of the way. Its count runs with every nonce whatever the limit, so it is measured.
const { tp } = await openPrepared(location, 0, undefined, { attestation: { noncesPerHour: 1_000_000 } });
// 'warn' as the HTTP scenario: no per-request log line.
const app = await buildApp(tp, { maxBodyBytes: 1024 * 1024, logLevel: 'warn' });
const apiUrl = await app.listen({ host: '127.0.0.1', port: 0 });
tp.setPublicUrl(apiUrl);
const est = await startEstListener(tp, { host: '127.0.0.1', port: 0, logLevel: 'warn' });
const root = await tp.identity.store.findRootCa();
if (!root) throw new Error('est-server: no root CA after initialise');
const floorTls = await new EstTlsIdentity(tp.identity, ['127.0.0.1']).current();
const floorBody = certsOnlyBase64([root.certificate]);
const floor = https.createServer(
  { key: floorTls.key, cert: floorTls.cert, minVersion: 'TLSv1.2', requestCert: true, rejectUnauthorized: false },
  (request, response) => {
    request.resume();
    request.on('end', () =>
      response.writeHead(200, { 'content-type': 'application/pkcs7-mime; smime-type=certs-only' }).end(floorBody),
    );
  },
);
// Idle connections kept as long as the EST listener keeps them (Fastify's 72 s, not node:https's 5 s):
// a fleet holding a connection per device must not lose it to the floor's shorter timer.
floor.keepAliveTimeout = est.app.server.keepAliveTimeout;
await new Promise<void>((resolve) => floor.listen(0, '127.0.0.1', resolve));
const floorUrl = `https://127.0.0.1:${(floor.address() as AddressInfo).port}`;
const { secret } = await tp.tokens.create({ role: 'admin', owner: 'bench', ttlSeconds: 3600 }, 'bench');

const stopProfile = await startServingProfile();
const ready: EstServerReady = {
  apiUrl,
  estUrl: est.url,
  token: secret,
  rootPem: toPem(root.certificate, 'CERTIFICATE'),
  floorUrl,
};
serveUntilStdinEnds(ready, async () => {
  await stopProfile();
  floor.closeAllConnections();
  await new Promise((resolve) => floor.close(resolve));
  await est.close();
  await app.close();
  await tp.close();
});
