import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { signerFromKey } from '../../pki/testing/signer-from-key.ts';
import { formatSshCertificate, formatSshPublicKey, parseSshCertificate, signSshCertificate, sshPublicKeyFromKeyObject, sshPublicKeyFromSpki, type SshCertificateFields } from '../../ssh/index.ts';
import { hostCertificateDue, hostCertificatePath, renewHostCertificate } from './host-certificate.ts';
import { SshApiStandIn, unreachable } from './testing/ssh-api-stand-in.ts';

const hostCa = signerFromKey(generateKeyPairSync('ed25519').privateKey, 'host-ca');
const otherCa = signerFromKey(generateKeyPairSync('ed25519').privateKey, 'other');
const hostKey = sshPublicKeyFromKeyObject(generateKeyPairSync('ed25519').publicKey);
const otherKey = sshPublicKeyFromKeyObject(generateKeyPairSync('ed25519').publicKey);
const clock = new FakeClock('2026-03-01T00:00:00Z');

let dir: string;
let pub: string;
let api: SshApiStandIn;

const fields = (over: Partial<SshCertificateFields> = {}): SshCertificateFields => ({
  kind: 'host',
  publicKey: hostKey,
  serial: 77n,
  keyId: 'host:sku-1:0001',
  principals: ['0001', '0001.sku-1'],
  validAfter: new Date('2026-02-28T00:00:00Z'),
  validBefore: new Date('2026-03-31T00:00:00Z'),
  ...over,
});

async function answer(over: Partial<SshCertificateFields> = {}, ca = hostCa) {
  return { certificate: formatSshCertificate(await signSshCertificate(fields(over), ca)), validBefore: '2026-03-31T00:00:00Z', hostCaKey: formatSshPublicKey(sshPublicKeyFromSpki(hostCa.spki)) };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tp-host-cert-'));
  pub = join(dir, 'ssh_host_ed25519_key.pub');
  await writeFile(pub, `${formatSshPublicKey(hostKey, 'root@device')}\n`);
  api = new SshApiStandIn();
});
afterEach(() => rm(dir, { recursive: true, force: true }));

test('the certificate is written next to the key, as ssh-keygen names it; renewal is due at 2/3 of its life', async () => {
  assert.equal(hostCertificatePath(pub), join(dir, 'ssh_host_ed25519_key-cert.pub'));
  assert.equal((await hostCertificateDue(pub, clock)).getTime(), clock.now().getTime(), 'none yet: due now');
  api.hostCertificateAnswer = await answer();
  const cert = await renewHostCertificate({ api, hostPublicKey: pub, clock, log: () => undefined });
  assert.equal(api.hostKeysAsked[0], formatSshPublicKey(hostKey, 'root@device'));
  const written = parseSshCertificate(await readFile(hostCertificatePath(pub)));
  assert.deepEqual(written.blob, cert.blob);
  assert.match((await readFile(hostCertificatePath(pub), 'utf8')), / root@device\n$/);
  const due = await hostCertificateDue(pub, clock);
  assert.equal(due.toISOString(), '2026-03-20T16:00:00.000Z'); // 2026-02-28 + 2/3 of 31 days
});

test('an answer that does not check writes nothing: another key, another CA, a user certificate, expired, garbage', async () => {
  for (const [what, a] of [
    ['another key', await answer({ publicKey: otherKey })],
    ['another CA', await answer({}, otherCa)],
    ['a user certificate', await answer({ kind: 'user' })],
    ['an expired one', await answer({ validAfter: new Date('2026-01-01T00:00:00Z'), validBefore: new Date('2026-02-01T00:00:00Z') })],
    ['garbage', { certificate: 'ssh-ed25519-cert-v01@openssh.com AAAA', validBefore: 'x', hostCaKey: 'y' }],
  ] as const) {
    api.hostCertificateAnswer = a;
    await assert.rejects(renewHostCertificate({ api, hostPublicKey: pub, clock, log: () => undefined }), { code: 'SSH_HOST_CERTIFICATE_INVALID' }, what);
    await assert.rejects(readFile(hostCertificatePath(pub)), { code: 'ENOENT' }, what);
  }
});

test('a lost answer: nothing written, and asking again gets one', async () => {
  api.hostCertificateAnswer = unreachable();
  await assert.rejects(renewHostCertificate({ api, hostPublicKey: pub, clock, log: () => undefined }), { code: 'UNREACHABLE' });
  api.hostCertificateAnswer = await answer();
  await renewHostCertificate({ api, hostPublicKey: pub, clock, log: () => undefined });
  assert.equal(api.hostKeysAsked.length, 2);
  assert.equal(parseSshCertificate(await readFile(hostCertificatePath(pub))).serial, 77n);
});

test('a certificate for a key since replaced is due at once', async () => {
  api.hostCertificateAnswer = await answer();
  await renewHostCertificate({ api, hostPublicKey: pub, clock, log: () => undefined });
  await writeFile(pub, `${formatSshPublicKey(otherKey)}\n`);
  assert.equal((await hostCertificateDue(pub, clock)).getTime(), clock.now().getTime());
});
