// The sshd fixture proven against src/ssh with CA keys made here (not the server): the real
// sshd, configured only from the files trustplane-agent's own code wrote (answers from a stand-in
// for the device routes), admits a good certificate and refuses a wrong principal, a passed window,
// another CA and a revoked serial; the real ssh client accepts a host certificate from the
// @cert-authority it trusts and refuses one from another host CA, or a bare host key; the agent
// reports the logins sshd logged.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeClock } from '../src/core/clock.ts';
import { hostCertificatePath, renewHostCertificate } from '../src/agent/ssh/host-certificate.ts';
import { reportSshLogins } from '../src/agent/ssh/login-reports.ts';
import { syncSshTrust } from '../src/agent/ssh/ssh-trust-files.ts';
import { SshApiStandIn } from '../src/agent/ssh/testing/ssh-api-stand-in.ts';
import { encodeKrl, formatSshCertificate, formatSshPublicKey, parseSshPublicKey, signSshCertificate, sshFingerprint, type SshCertificateFields } from '../src/ssh/index.ts';
import { Workdir } from './support/openssl.ts';
import { makeSshCa, makeSshKey, type TestSshCa } from './support/openssh.ts';
import { SshdFixture, sshLogin } from './support/sshd.ts';

const user = process.env.USER ?? 'root';
let work: Workdir;
let sshd: SshdFixture;
let userCa: TestSshCa;
let otherUserCa: TestSshCa;
let hostCa: TestSshCa;
let otherHostCa: TestSshCa;
let key: Awaited<ReturnType<typeof makeSshKey>>;
const hostName = '0001.sku-1';
const now = Date.now();
const api = new SshApiStandIn();
const agentLog = (): void => undefined;

const grant = (over: Partial<SshCertificateFields> = {}): SshCertificateFields => ({
  kind: 'user',
  publicKey: key.publicKey,
  serial: 10n,
  keyId: 'alice:grant-10',
  principals: ['device:sku-1:0001'],
  validAfter: new Date(now - 60_000),
  validBefore: new Date(now + 3_600_000),
  extensions: ['permit-pty'],
  ...over,
});

async function certFile(name: string, fields: SshCertificateFields, ca = userCa): Promise<string> {
  await work.write(name, `${formatSshCertificate(await signSshCertificate(fields, ca.signer), name)}\n`);
  return work.path(name);
}

/** `trustplane-agent ssh-host-cert`'s code, given a host certificate signed by `ca` for the key it sends. */
async function hostCertificate(ca: TestSshCa, principals = [hostName]): Promise<string> {
  api.hostCertificateAnswer = async () => {
    const hostKey = parseSshPublicKey(api.hostKeysAsked.at(-1)!);
    const fields = { kind: 'host' as const, publicKey: hostKey, serial: 1n, keyId: 'host:sku-1:0001', principals, validAfter: new Date(now - 60_000), validBefore: new Date(now + 86_400_000) };
    return { certificate: formatSshCertificate(await signSshCertificate(fields, ca.signer)), validBefore: fields.validBefore.toISOString(), hostCaKey: ca.line };
  };
  await renewHostCertificate({ api, hostPublicKey: sshd.hostPublicKey, clock: new FakeClock(new Date(now)), log: agentLog });
  return hostCertificatePath(sshd.hostPublicKey);
}

/** `trustplane-agent ssh-sync`'s code: what sshd trusts, written by the agent. */
async function agentSync(): Promise<void> {
  const r = await syncSshTrust({ api, dir: work.path('trust'), product: 'sku-1', serial: '0001', log: agentLog });
  assert.notEqual(r.krl.status, 'kept');
  assert.notEqual(r.config.status, 'kept');
}

async function login(cert: string, knownHosts = 'known_hosts'): Promise<{ status: number | null; stderr: string }> {
  return sshLogin(work, { port: sshd.port, user, keyFile: work.path(key.file), certFile: cert, knownHostsFile: work.path(knownHosts), hostKeyAlias: hostName });
}

async function writeKrl(serials: bigint[], version: bigint): Promise<void> {
  api.krlAnswer = encodeKrl({ caKey: userCa.publicKey, serials, version, generatedAt: new Date() });
  await agentSync();
}

before(async () => {
  work = await Workdir.create('tp-sshd-test-');
  sshd = await SshdFixture.create();
  userCa = await makeSshCa(work, 'user-ca');
  otherUserCa = await makeSshCa(work, 'other-user-ca');
  hostCa = await makeSshCa(work, 'host-ca', 'ecdsa-p256');
  otherHostCa = await makeSshCa(work, 'other-host-ca');
  key = await makeSshKey(work, 'technician');
  api.configAnswer = { userCaKeys: [userCa.line], principals: ['device:sku-1:0001', 'tag:lab'], krlRefreshSeconds: 300 };
  await writeKrl([3n], 1n);
  await work.write('known_hosts', `@cert-authority *.sku-1 ${formatSshPublicKey(hostCa.publicKey)}\n`);
  await sshd.start({ trustDir: work.path('trust'), hostCertificate: await hostCertificate(hostCa) });
});
after(async () => {
  await sshd?.remove();
  await work?.remove();
});

test('a good certificate logs in, and sshd logs its key id and serial', async () => {
  const from = (await sshd.log()).length;
  const r = await login(await certFile('good-cert.pub', grant()));
  assert.equal(r.status, 0, r.stderr);
  const log = await sshd.logAfter(from, /Accepted publickey/);
  assert.match(log, new RegExp(`Accepted publickey for ${user} from 127\\.0\\.0\\.1 port \\d+ ssh2: ED25519-CERT SHA256:\\S+ ID alice:grant-10 \\(serial 10\\) CA ED25519 SHA256:\\S+`));
});

test('a certificate for a tag the device carries logs in too', async () => {
  const r = await login(await certFile('tag-cert.pub', grant({ principals: ['tag:lab'] })));
  assert.equal(r.status, 0, r.stderr);
});

for (const [name, fields, ca, reason] of [
  ['another device’s principal', { principals: ['device:sku-1:0002'] }, 'user', /Certificate does not contain an authorized principal/],
  ['a window that has passed', { validAfter: new Date(now - 7_200_000), validBefore: new Date(now - 3_600_000) }, 'user', /Certificate invalid: expired/],
  ['a window not yet begun', { validAfter: new Date(now + 3_600_000), validBefore: new Date(now + 7_200_000) }, 'user', /Certificate invalid: not yet valid/],
  ['a serial in the KRL', { serial: 3n }, 'user', /ED25519-CERT \S+ revoked by file \S+\/revoked_keys/],
  ['another CA', {}, 'other', /Failed publickey for \S+ from 127\.0\.0\.1 port \d+ ssh2: ED25519-CERT \S+ ID alice:grant-10 \(serial 10\) CA ED25519 (\S+)/],
] as const) {
  test(`sshd refuses ${name}`, async () => {
    const cert = await certFile(`refused-${name.replace(/\W+/g, '-')}-cert.pub`, grant(fields), ca === 'other' ? otherUserCa : userCa);
    const from = (await sshd.log()).length;
    const r = await login(cert);
    assert.equal(r.status, 255);
    assert.match(r.stderr, /Permission denied \(publickey\)/);
    const log = await sshd.logAfter(from, reason);
    assert.match(log, reason);
    if (ca === 'other') assert.equal(reason.exec(log)?.[1], sshFingerprint(otherUserCa.publicKey));
    assert.doesNotMatch(log, /Accepted publickey/);
  });
}

test('a new KRL takes effect at the next login, without restarting sshd', async () => {
  const cert = await certFile('to-revoke-cert.pub', grant({ serial: 11n }));
  assert.equal((await login(cert)).status, 0);
  await writeKrl([3n, 11n], 2n);
  const from = (await sshd.log()).length;
  assert.equal((await login(cert)).status, 255);
  assert.match(await sshd.logAfter(from, /revoked by file/), /revoked by file/);
});

test('the client refuses a host certificate from another host CA, and a bare host key', async () => {
  const good = await certFile('host-test-cert.pub', grant());
  await sshd.stop();
  await sshd.start({ trustDir: work.path('trust'), hostCertificate: await hostCertificate(otherHostCa) });
  let r = await login(good);
  assert.equal(r.status, 255);
  assert.match(r.stderr, /Host key verification failed/);

  await sshd.stop();
  await sshd.start({ trustDir: work.path('trust') });
  r = await login(good);
  assert.equal(r.status, 255);
  assert.match(r.stderr, /Host key verification failed/);

  await sshd.stop();
  await sshd.start({ trustDir: work.path('trust'), hostCertificate: await hostCertificate(hostCa, ['0002.sku-1']) });
  r = await login(good);
  assert.equal(r.status, 255, 'a host certificate for another name');

  await sshd.stop();
  await sshd.start({ trustDir: work.path('trust'), hostCertificate: await hostCertificate(hostCa) });
  r = await login(good);
  assert.equal(r.status, 0, r.stderr);
});

test("the agent reports the certificate logins sshd logged, with key id, serial and source", async () => {
  await reportSshLogins({ api, logFile: sshd.logFile, positionFile: work.path('position.json'), clock: new FakeClock(), log: agentLog });
  const reported = api.loginBatches.flat();
  assert.ok(reported.length >= 3, JSON.stringify(reported));
  assert.ok(reported.every((l) => l.source === '127.0.0.1' && l.keyId === 'alice:grant-10'));
  assert.deepEqual(new Set(reported.map((l) => l.serial)), new Set(['10', '11']), 'refused logins are not reported');
});
