// `trustplane-agent ssh-sync` and `ssh-host-cert`, the real CLI in a child process, over HTTPS
// with mutual TLS, against a local stand-in for the device listener's SSH routes (certificates
// made by openssl; the routes' contract: docs/design/ssh-contract.md). The real routes are the
// access-grants branch's: the acceptance test against the real server comes after the merge.
// What this shows: the paths, methods, bodies and answers the agent speaks; a refusal's code
// reaching the exit status; files written only from answers that check.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { signerFromKey } from '../src/pki/testing/signer-from-key.ts';
import { StateStore } from '../src/agent/state-store.ts';
import { encodeKrl, formatSshCertificate, formatSshPublicKey, parseKrl, parseSshCertificate, parseSshPublicKey, signSshCertificate, sshPublicKeyFromSpki } from '../src/ssh/index.ts';
import { runNodeScript } from '../src/testkit/node-script.ts';
import { Workdir } from './support/openssl.ts';
import { makeSshKey } from './support/openssh.ts';

const agentBin = new URL('../bin/trustplane-agent.js', import.meta.url).pathname;
const userCa = signerFromKey(generateKeyPairSync('ed25519').privateKey, 'user-ca');
const hostCa = signerFromKey(generateKeyPairSync('ed25519').privateKey, 'host-ca');
const userCaLine = formatSshPublicKey(sshPublicKeyFromSpki(userCa.spki), 'sku-1 users');
const hostCaLine = formatSshPublicKey(sshPublicKeyFromSpki(hostCa.spki), 'sku-1 hosts');

let work: Workdir;
let server: Server;
let url: string;
const received: { method: string; path: string; body: string; clientCn: string }[] = [];
/** while set, every route answers this problem */
let refuse: { status: number; code: string } | undefined;
let krlVersion = 1n;

async function route(method: string, path: string, body: string): Promise<{ status: number; type: string; body: string | Buffer }> {
  if (refuse) return { status: refuse.status, type: 'application/problem+json', body: JSON.stringify({ type: 'about:blank', title: 'refused', status: refuse.status, code: refuse.code }) };
  const base = '/device/v1/sku-1/ssh/';
  if (method === 'GET' && path === `${base}config`) return { status: 200, type: 'application/json', body: JSON.stringify({ userCaKeys: [userCaLine], principals: ['device:sku-1:0001', 'tag:lab'], krlRefreshSeconds: 300 }) };
  if (method === 'GET' && path === `${base}krl`) return { status: 200, type: 'application/octet-stream', body: encodeKrl({ caKey: sshPublicKeyFromSpki(userCa.spki), serials: [4n, 8n], version: krlVersion, generatedAt: new Date() }) };
  if (method === 'POST' && path === `${base}host-certificate`) {
    const publicKey = parseSshPublicKey((JSON.parse(body) as { publicKey: string }).publicKey);
    const validBefore = new Date(Date.now() + 30 * 86_400_000);
    const cert = await signSshCertificate({ kind: 'host', publicKey, serial: 5n, keyId: 'host:sku-1:0001', principals: ['0001', '0001.sku-1'], validAfter: new Date(Date.now() - 60_000), validBefore }, hostCa);
    return { status: 201, type: 'application/json', body: JSON.stringify({ certificate: formatSshCertificate(cert), validBefore: validBefore.toISOString(), hostCaKey: hostCaLine }) };
  }
  if (method === 'POST' && path === `${base}logins`) return { status: 202, type: 'application/json', body: JSON.stringify({ recorded: (JSON.parse(body) as { logins: unknown[] }).logins.length }) };
  return { status: 404, type: 'application/problem+json', body: JSON.stringify({ code: 'NOT_FOUND' }) };
}

before(async () => {
  work = await Workdir.create('tp-agent-ssh-');
  const ext = (name: string, lines: string): Promise<string> => work.write(`${name}.ext`, lines);
  await work.opensslOk(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test device CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  for (const [name, cn, extLines] of [
    ['listener', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'],
    ['device', '0001', 'extendedKeyUsage=clientAuth\n'],
  ] as const) {
    await work.makeKeyAndCsr(name, 'ecdsa-p256', `/CN=${cn}`);
    await ext(name, extLines);
    await work.opensslOk(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
  }
  server = createServer({ key: await work.read('listener.key'), cert: await work.read('listener.pem'), ca: await work.read('ca.pem'), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const clientCn = String((req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '');
      received.push({ method: req.method ?? '', path: req.url ?? '', body, clientCn });
      void route(req.method ?? '', req.url ?? '', body).then((a) => res.writeHead(a.status, { 'content-type': a.type }).end(a.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // a state directory as enrollment leaves it: agent.json and current -> ids/1
  const store = new StateStore(work.path('state'));
  await store.initialise({ server: url, product: 'sku-1', serial: '0001', caBundle: work.path('ca.pem') });
  await store.writeKey(1, (await work.read('device.key')).toString());
  await store.writeCertificate(1, (await work.read('device.pem')).toString());
  await store.switchCurrent(1);
  await makeSshKey(work, 'ssh_host_ed25519_key');
});
after(async () => {
  server?.close();
  await work?.remove();
});

const agent = (...args: string[]) => runNodeScript(agentBin, args);

test('ssh-host-cert: the host key goes out over mutual TLS, the certificate comes back next to it', async () => {
  const r = await agent('ssh-host-cert', '--state-dir', work.path('state'), '--host-key', work.path('ssh_host_ed25519_key.pub'));
  assert.equal(r.code, 0, r.stderr);
  const call = received.find((c) => c.path === '/device/v1/sku-1/ssh/host-certificate')!;
  assert.equal(call.method, 'POST');
  assert.equal(call.clientCn, '0001', 'authenticated by the device certificate');
  assert.deepEqual(JSON.parse(call.body), { publicKey: (await work.read('ssh_host_ed25519_key.pub')).toString().trim() });
  const cert = parseSshCertificate(await work.read('ssh_host_ed25519_key-cert.pub'));
  assert.equal(cert.kind, 'host');
  assert.match(r.stdout, /ssh_host_ed25519_key-cert\.pub: serial 5, 0001,0001\.sku-1, valid until /);
});

test('ssh-sync: the three files, and the logins sshd logged', async () => {
  const line = 'Accepted publickey for root from 192.0.2.7 port 50022 ssh2: ED25519-CERT SHA256:a ID alice:grant-7 (serial 7) CA ED25519 SHA256:b';
  await work.write('auth.log', `2026-12-06T11:00:00+00:00 dev sshd[1]: ${line}\n`);
  const r = await agent('ssh-sync', '--state-dir', work.path('state'), '--ssh-dir', work.path('etc-ssh'), '--ssh-auth-log', work.path('auth.log'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /KRL written, CA keys and principals written, 1 login\(s\) reported/);
  assert.equal((await readFile(work.path('etc-ssh/user_ca_keys'), 'utf8')), `${userCaLine}\n`);
  assert.equal((await readFile(work.path('etc-ssh/principals'), 'utf8')), 'device:sku-1:0001\ntag:lab\n');
  assert.equal(parseKrl(await readFile(work.path('etc-ssh/revoked_keys'))).version, 1n);
  const logins = received.find((c) => c.path === '/device/v1/sku-1/ssh/logins')!;
  assert.deepEqual(JSON.parse(logins.body), { logins: [{ keyId: 'alice:grant-7', serial: '7', at: '2026-12-06T11:00:00.000Z', source: '192.0.2.7' }] });
});

test('ssh-sync: a refusal exits 2 with its code and changes no file; an older KRL exits 4', async () => {
  const before = await readFile(work.path('etc-ssh/revoked_keys'));
  refuse = { status: 409, code: 'DEVICE_NOT_ACTIVE' };
  let r = await agent('ssh-sync', '--state-dir', work.path('state'), '--ssh-dir', work.path('etc-ssh'));
  refuse = undefined;
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /error: DEVICE_NOT_ACTIVE/);
  assert.deepEqual(await readFile(work.path('etc-ssh/revoked_keys')), before);

  krlVersion = 3n;
  assert.equal((await agent('ssh-sync', '--state-dir', work.path('state'), '--ssh-dir', work.path('etc-ssh'))).code, 0);
  krlVersion = 2n;
  r = await agent('ssh-sync', '--state-dir', work.path('state'), '--ssh-dir', work.path('etc-ssh'));
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /error: SSH_KRL_ROLLBACK/);
  assert.equal(parseKrl(await readFile(work.path('etc-ssh/revoked_keys'))).version, 3n);
});
