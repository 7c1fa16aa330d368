/**
 * Issue 14 end to end, the server's side with everything real: trustplane's server issues the
 * certificates and the KRL; trustplane-agent's own code (syncSshTrust, renewHostCertificate,
 * reportSshLogins) fetches them over mutual TLS and writes sshd's files; the real sshd decides;
 * the real ssh client trusts the device by the one @cert-authority line `access ca` gives.
 * A granted certificate logs in; another device's does not; a grant ended early and one whose
 * device was decommissioned are refused after the agent's next KRL refresh; the logins sshd
 * logged reach the grant's history as `access.used`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeviceSshApi } from '../src/agent/ssh/device-ssh-api.ts';
import { renewHostCertificate } from '../src/agent/ssh/host-certificate.ts';
import { reportSshLogins } from '../src/agent/ssh/login-reports.ts';
import { syncSshTrust } from '../src/agent/ssh/ssh-trust-files.ts';
import { systemClock } from '../src/core/clock.ts';
import { makeCsr } from '../src/testkit/csr.ts';
import { accessPeople, endGrant, grantedCertificate, type AccessPeople } from './support/access-grants.ts';
import { Workdir } from './support/openssl.ts';
import { makeSshKey } from './support/openssh.ts';
import { SshdFixture, sshLogin } from './support/sshd.ts';
import { databaseTargets } from './support/databases.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'gw-e2e';
const user = process.env.USER ?? 'root';

describe('a real sshd configured only by the agent from the real server', () => {
  let server: TestServer;
  let work: Workdir;
  let sshd: SshdFixture;
  let api: DeviceSshApi;
  let people: AccessPeople;
  let key: Awaited<ReturnType<typeof makeSshKey>>;
  const log = (): void => undefined;
  const sync = async () => {
    const r = await syncSshTrust({ api, dir: work.path('trust'), product: SKU, serial: 'D1', log });
    assert.notEqual(r.krl.status, 'kept', JSON.stringify(r));
    assert.notEqual(r.config.status, 'kept', JSON.stringify(r));
  };
  const login = async (cert: string) => sshLogin(work, { port: sshd.port, user, keyFile: work.path(key.file), certFile: work.path(cert), knownHostsFile: work.path('known_hosts'), hostKeyAlias: `d1.${SKU}` });
  const certify = async (name: string, target: { devices: string[] } | { tag: string }) => {
    const granted = await grantedCertificate(server, people, { sku: SKU, target, publicKey: key.line });
    await work.write(name, `${granted.certificate}\n`);
    return granted;
  };

  before(async () => {
    work = await Workdir.create('tp-access-e2e-');
    server = await startTestServer({ target: databaseTargets()[0]!, est: true });
    await server.createProduct({ sku: SKU, name: SKU, craClass: 'default', supportUntil: '2040-12-31' });
    const identities = new Map<string, { certPem: string; keyPem: string }>();
    for (const serial of ['D1', 'D2']) {
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices`, { serial, tags: ['lab'] })).status, 201);
      const csr = makeCsr('ecdsa-p256');
      const enrolled = await server.api('POST', `/v1/products/${SKU}/devices/${serial}/enroll`, { csr: csr.pem });
      identities.set(serial, { certPem: enrolled.body.certificate, keyPem: csr.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() });
    }
    api = new DeviceSshApi({ server: server.estUrl!, product: SKU, caBundlePem: server.rootPem, identity: identities.get('D1')! });
    people = await accessPeople(server);
    key = await makeSshKey(work, 'technician');
    sshd = await SshdFixture.create();
    await sync();
    await renewHostCertificate({ api, hostPublicKey: sshd.hostPublicKey, clock: systemClock, log });
    const ca = await server.api('GET', `/v1/products/${SKU}/access/ca`, undefined, people.technician);
    await work.write('known_hosts', `${ca.body.knownHosts}\n`);
    await sshd.start({ trustDir: work.path('trust'), hostCertificate: `${sshd.hostKey}-cert.pub` });
  });
  after(async () => {
    api?.close();
    await sshd?.remove();
    await server?.destroy();
    await work?.remove();
  });

  it('a granted certificate logs in (the device trusted by its host certificate), and its login reaches the grant', async () => {
    const granted = await certify('granted-cert.pub', { devices: ['D1'] });
    const r = await login('granted-cert.pub');
    assert.equal(r.status, 0, r.stderr);
    const reported = await reportSshLogins({ api, logFile: sshd.logFile, positionFile: work.path('login-position'), clock: systemClock, log });
    assert.ok(reported.reported >= 1, JSON.stringify(reported));
    const history = (await server.api('GET', `/v1/products/${SKU}/access/grants/${granted.grantId}`)).body.history as { action: string; details: Record<string, unknown> }[];
    const used = history.find((e) => e.action === 'access.used');
    assert.ok(used, JSON.stringify(history.map((e) => e.action)));
    assert.equal(used.details.device, 'D1');
    assert.equal(used.details.keyId, `tina:${granted.grantId}`);
  });

  it('the client trusts the device only by its host certificate: a host key the server did not certify is refused', async () => {
    await sshd.stop();
    await sshd.start({ trustDir: work.path('trust') });
    const bare = await login('granted-cert.pub');
    assert.equal(bare.status, 255);
    assert.match(bare.stderr, /Host key verification failed/);
    await sshd.stop();
    await sshd.start({ trustDir: work.path('trust'), hostCertificate: `${sshd.hostKey}-cert.pub` });
    assert.equal((await login('granted-cert.pub')).status, 0);
  });

  it("another device's certificate is refused", async () => {
    await certify('d2-cert.pub', { devices: ['D2'] });
    assert.equal((await login('d2-cert.pub')).status, 255);
  });

  it('a grant ended early is refused after the agent refreshes the KRL', async () => {
    const granted = await certify('ended-cert.pub', { tag: 'lab' });
    assert.equal((await login('ended-cert.pub')).status, 0);
    await endGrant(server, people, SKU, granted.grantId, 'laptop lost');
    await sync();
    assert.equal((await login('ended-cert.pub')).status, 255);
    const q = await work.run('ssh-keygen', ['-Q', '-f', work.path('trust/revoked_keys'), 'ended-cert.pub']);
    assert.match(q.output, /REVOKED/);
  });

  it("decommissioning a device ends its grants: a certificate naming it and D1 is refused on D1 at the next refresh", async () => {
    await certify('both-cert.pub', { devices: ['D1', 'D2'] });
    assert.equal((await login('both-cert.pub')).status, 0);
    assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/D2/decommission`, {})).status, 200);
    await sync();
    assert.equal((await login('both-cert.pub')).status, 255);
    assert.equal((await login('granted-cert.pub')).status, 0, 'a grant naming only D1 still logs in');
  });

  it("decommissioning a device revokes its host certificate: the technician's ssh, given the product's host KRL, refuses the host", async () => {
    const krl = async () => {
      const r = await fetch(`${server.url}/products/${SKU}/ssh/host-krl`);
      assert.equal(r.status, 200);
      await work.write('host-krl', Buffer.from(await r.arrayBuffer()));
    };
    const granted = await certify('last-cert.pub', { devices: ['D1'] });
    await krl();
    const withKrl = () => sshLogin(work, { port: sshd.port, user, keyFile: work.path(key.file), certFile: work.path('last-cert.pub'), knownHostsFile: work.path('known_hosts'), hostKeyAlias: `d1.${SKU}`, revokedHostKeys: work.path('host-krl') });
    assert.equal((await withKrl()).status, 0, 'the host KRL lists nothing of D1 yet');
    assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/D1/decommission`, {})).status, 200);
    // D1's sshd has not refreshed its own KRL (a device that left cannot): it would still let the grant in
    assert.equal((await login('last-cert.pub')).status, 0, `grant ${granted.grantId}: D1 has not refreshed its KRL`);
    await krl();
    const refused = await withKrl();
    assert.equal(refused.status, 255);
    assert.match(refused.stderr, /revoked by file .*host-krl/i, refused.stderr);
  });
});
