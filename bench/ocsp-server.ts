// The trustplane side of the OCSP scenarios (bench/ocsp.ts), in a process of its own:
//   node bench/ocsp-server.ts <n> <pglite-dir | postgres-url> <work dir>
// Issues n device certificates through the service layer (as bench/issuance.ts), revokes every
// tenth through the real use case (changeDeviceState: device state, certificate status, CRL),
// writes the issuing CA, the root and the certificates' serials and statuses into <work dir>,
// listens on a loopback port and prints one JSON line (OcspServerReady). Stops when stdin closes.
//
// Two floors share the process, each answering every POST with the same fixed OCSP answer (one
// real trustplane answer, taken once at start, headers and all) and no OCSP work:
// - fastifyFloorUrl: a route on the same Fastify app, behind the same hooks and the same
//   application/ocsp-request body parser as the OCSP route: what the HTTP stack itself allows;
// - nodeFloorUrl: a bare node:http server, for information.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toPem } from '../src/core/pem.ts';
import { changeDeviceState } from '../src/pki/devices.ts';
import { buildApp } from '../src/server/app.ts';
import { benchActor, deviceSerial, makeCsrs, openPrepared } from './fixtures.ts';
import { mapLimit, runTool, type OcspSubject } from './ocsp-requests.ts';
import { REVOKE_EVERY } from './peers/openssl-ocsp.ts';
import { locationFromArgument, serveUntilStdinEnds } from './server-process.ts';
import { startServingProfile } from './serving-profile.ts';

export interface OcspServerReady {
  url: string;
  caId: string;
  /** POST target of the OCSP route (RFC 6960 Appendix A.1); GET appends /<base64 request>. */
  ocspUrl: string;
  /** PEM files: the CA that issued the device certificates, and the root it chains to. */
  issuerPem: string;
  rootPem: string;
  subjects: OcspSubject[];
  fastifyFloorUrl: string;
  nodeFloorUrl: string;
  /** Size of the fixed answer the floors send. */
  floorAnswerBytes: number;
}

const n = Number(process.argv[2]);
const location = locationFromArgument(process.argv[3] ?? '');
const workDir = process.argv[4] ?? '';

const { tp, product } = await openPrepared(location, n);
const csrs = makeCsrs(n);
const serials = await mapLimit(csrs, 64, async (c, i) => {
  const csr = await tp.verifyCsr(c.der);
  const { certificate } = await tp.issuance.issue({
    kind: 'enroll',
    product,
    serial: deviceSerial(i),
    csr,
    actor: benchActor,
  });
  return certificate.serial;
});
const subjects: OcspSubject[] = serials.map((serialHex, i) => ({
  serialHex,
  status: i % REVOKE_EVERY === 0 ? 'revoked' : 'good',
}));
for (let i = 0; i < n; i += REVOKE_EVERY) {
  await changeDeviceState(
    tp.identity,
    product,
    deviceSerial(i),
    { transition: 'revoke', reason: 'keyCompromise' },
    benchActor,
  );
}

const issuing = await tp.identity.store.findCa(product.issuingCaId);
const root = await tp.identity.store.findRootCa();
if (!issuing || !root) throw new Error('ocsp-server: no issuing or root CA after preparation');
const issuerPem = join(workDir, 'issuer.pem');
const rootPem = join(workDir, 'root.pem');
await writeFile(issuerPem, toPem(issuing.certificate, 'CERTIFICATE'));
await writeFile(rootPem, toPem(root.certificate, 'CERTIFICATE'));

/** Set once listening: the floors' answer. Headers that describe the connection are Node's to write. */
const floor = { body: Buffer.alloc(0), headers: {} as Record<string, string> };
const connectionHeaders = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

// 'warn': no line per request, as the other HTTP scenarios.
const app = await buildApp(tp, { maxBodyBytes: 1024 * 1024, logLevel: 'warn' });
app.post('/bench/ocsp-floor', { schema: { hide: true } }, async (_request, reply) =>
  reply.headers(floor.headers).send(floor.body),
);
const url = await app.listen({ host: '127.0.0.1', port: 0 });
tp.setPublicUrl(url);
const ocspUrl = `${url}/pki/${issuing.id}/ocsp`;

const nodeFloor = http.createServer((request, response) => {
  request.resume();
  request.on('end', () => response.writeHead(200, floor.headers).end(floor.body));
});
await new Promise<void>((resolve) => nodeFloor.listen(0, '127.0.0.1', resolve));

// The floors' answer: trustplane's own to an openssl-made request for a good certificate.
const sampleRequest = join(workDir, 'floor-request.der');
const made = await runTool(
  'openssl',
  ['ocsp', '-issuer', issuerPem, '-serial', `0x${subjects[1]!.serialHex}`, '-reqout', sampleRequest, '-no_nonce'],
  workDir,
);
if (made.status !== 0) throw new Error(`ocsp-server: openssl ocsp -reqout: ${made.output}`);
const sample = await fetch(ocspUrl, {
  method: 'POST',
  headers: { 'content-type': 'application/ocsp-request' },
  body: await readFile(sampleRequest),
});
if (sample.status !== 200) throw new Error(`ocsp-server: the OCSP route answered HTTP ${sample.status}`);
floor.body = Buffer.from(await sample.arrayBuffer());
sample.headers.forEach((value, name) => {
  if (!connectionHeaders.has(name)) floor.headers[name] = value;
});

const stopProfile = await startServingProfile();
const ready: OcspServerReady = {
  url,
  caId: issuing.id,
  ocspUrl,
  issuerPem,
  rootPem,
  subjects,
  fastifyFloorUrl: `${url}/bench/ocsp-floor`,
  nodeFloorUrl: `http://127.0.0.1:${(nodeFloor.address() as AddressInfo).port}/`,
  floorAnswerBytes: floor.body.length,
};
serveUntilStdinEnds(ready, async () => {
  await stopProfile();
  nodeFloor.closeAllConnections();
  await new Promise((resolve) => nodeFloor.close(resolve));
  await app.close();
  await tp.close();
});
