/**
 * Issue 14 against OpenSSH's own tools: certificates trustplane issues for grants, read by
 * `ssh-keygen -L` (key id, serial, principals, window, options); refused for a denied, expired or
 * ended grant and beyond the policy's count, with nothing written; a grant ended early and a
 * device decommissioned put the serial into the KRL the server serves (device listener and plain
 * HTTP), and `ssh-keygen -Q -f krl cert` says revoked. The device routes over mutual TLS: sshd's
 * configuration, a host certificate for the device's host key, the logins it saw.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../src/core/clock.ts';
import { makeCsr } from '../src/testkit/csr.ts';
import { databaseTargets } from './support/databases.ts';
import { estRequest } from './support/est-client.ts';
import { Workdir } from './support/openssl.ts';
import { expectRefusal } from './support/state-snapshot.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { accessPeople, endGrant, grantedCertificate } from './support/access-grants.ts';
import { parseKrl } from '../src/ssh/index.ts';

const SKU = 'GW-SSH';
const START = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();

/** A binary answer of the device listener (estRequest reads text). */
function deviceBytes(url: string, tls: { ca: string; cert: string; key: string }): Promise<{ status: number; type: string; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: false, ...tls }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', bytes: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

for (const target of databaseTargets()) {
  describe(`SSH certificates, KRL and device routes against ssh-keygen (${target.name})`, () => {
    let server: TestServer;
    let clock: FakeClock;
    let work: Workdir;
    const tokens = { tina: '', anna: '' };
    const devices = new Map<string, { cert: string; key: string }>();
    const grants = (path = '') => `/v1/products/${SKU}/access/grants${path}`;
    const keygen = async (args: string[]) => {
      const r = await work.run('ssh-keygen', args);
      assert.equal(r.status, 0, `ssh-keygen ${args.join(' ')}: ${r.output}`);
      return r.stdout;
    };
    const userKey = async (name: string) => {
      await keygen(['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', name]);
      return (await work.read(`${name}.pub`)).toString().trim();
    };
    const approvedGrant = async (body: Record<string, unknown>) => {
      const asked = await server.api('POST', grants(), { purpose: 'field service', ticket: 'OPS-7', durationSeconds: 2 * 3600, ...body }, tokens.tina);
      assert.equal(asked.status, 201, JSON.stringify(asked.body));
      const approved = await server.api('POST', grants(`/${asked.body.id}/approve`), {}, tokens.anna);
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      return approved.body as { id: string; serial: string; validFrom: string; validUntil: string };
    };
    const onListener = (serial: string, method: 'GET' | 'POST', op: string, body?: unknown) => {
      const d = devices.get(serial)!;
      return estRequest(`${server.estUrl}/device/v1/${SKU}/ssh/${op}`, method, { ca: server.rootPem, cert: d.cert, key: d.key, ...(body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' }) });
    };
    const krlOf = async (serial: string) => {
      const d = devices.get(serial)!;
      const answer = await deviceBytes(`${server.estUrl}/device/v1/${SKU}/ssh/krl`, { ca: server.rootPem, cert: d.cert, key: d.key });
      assert.equal(answer.status, 200);
      assert.equal(answer.type, 'application/octet-stream');
      return answer.bytes;
    };
    /** ssh-keygen -Q: exit 0 and "ok" when not revoked, exit 1 and "REVOKED" when it is. */
    const revokedBy = async (krl: Buffer, certFile: string) => {
      await work.write('krl', krl);
      const r = await work.run('ssh-keygen', ['-Q', '-f', 'krl', certFile]);
      assert.ok(r.status === 0 || r.status === 1, r.output);
      return { revoked: r.status === 1 && /REVOKED/.test(r.output), output: r.output };
    };

    before(async () => {
      work = await Workdir.create('tp-ssh-');
      clock = new FakeClock(START);
      server = await startTestServer({ target, clock, est: true });
      await server.createProduct({ sku: SKU, name: SKU, craClass: 'default', supportUntil: '2040-12-31' });
      for (const serial of ['S1', 'S2', 'S3']) {
        assert.equal((await server.api('POST', `/v1/products/${SKU}/devices`, { serial, tags: ['lab'] })).status, 201);
        const csr = makeCsr('ecdsa-p256');
        const enrolled = await server.api('POST', `/v1/products/${SKU}/devices/${serial}/enroll`, { csr: csr.pem });
        assert.equal(enrolled.status, 201);
        devices.set(serial, { cert: enrolled.body.certificate, key: csr.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() });
      }
      tokens.tina = (await server.tp.tokens.create({ role: 'technician', owner: 'tina', ttlSeconds: 12 * 3600 }, 'test')).secret;
      tokens.anna = (await server.tp.tokens.create({ role: 'approver', owner: 'anna', ttlSeconds: 12 * 3600 }, 'test')).secret;
      const policy = await server.api('PATCH', `/v1/products/${SKU}/access/policy`, { extensions: ['permit-pty', 'permit-port-forwarding'], forceCommand: '/usr/bin/diag', sourceAddress: '127.0.0.1/32,10.0.0.0/8' });
      assert.equal(policy.status, 200, JSON.stringify(policy.body));
    });
    after(async () => {
      await server?.destroy();
      await work?.remove();
    });

    let first: { id: string; serial: string; validUntil: string };
    it('ssh-keygen -L reads the certificate: key id <owner>:<grant>, the grant serial, its principals, a window within the grant, the policy options', async () => {
      first = await approvedGrant({ devices: ['S1', 'S2'] });
      const pub = await userKey('tina');
      const issued = await server.api('POST', grants(`/${first.id}/certificates`), { publicKey: pub }, tokens.tina);
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      assert.match(issued.body.certificate, /^ssh-ed25519-cert-v01@openssh\.com AAAA\S+ /);
      await work.write('tina-cert.pub', `${issued.body.certificate}\n`);
      const shown = await keygen(['-L', '-f', 'tina-cert.pub']);
      assert.match(shown, /Type: ssh-ed25519-cert-v01@openssh\.com user certificate/);
      assert.match(shown, new RegExp(`Key ID: "tina:${first.id}"`));
      assert.match(shown, new RegExp(`Serial: ${first.serial}\\n`));
      assert.match(shown, new RegExp(`Principals: \\n\\s+device:${SKU}:S1\\n\\s+device:${SKU}:S2\\n`));
      assert.match(shown, /Critical Options: \n\s+force-command \/usr\/bin\/diag\n\s+source-address 127\.0\.0\.1\/32,10\.0\.0\.0\/8\n/);
      assert.match(shown, /Extensions: \n\s+permit-port-forwarding\n\s+permit-pty\n/);
      const fingerprint = (await keygen(['-l', '-f', 'tina.pub'])).split(' ')[1]!;
      assert.match(shown, new RegExp(`Public key: ED25519-CERT ${fingerprint.replace(/[+/]/g, '\\$&')}`));
      // the window: ssh-keygen prints local time; the certificate itself, parsed, is checked against the grant
      assert.equal(issued.body.validBefore, first.validUntil);
      assert.ok(new Date(issued.body.validAfter).getTime() >= new Date((first as { validFrom?: string }).validFrom ?? 0).getTime());
      const history = (await server.api('GET', grants(`/${first.id}`))).body.history as { action: string; details: Record<string, unknown> }[];
      const event = history.find((e) => e.action === 'access.certificate_issued')!;
      assert.equal(event.details.keyFingerprint, fingerprint);
      assert.equal(event.details.validBefore, first.validUntil);
      assert.equal(event.details.validAfter, issued.body.validAfter);
    });

    it('the same key again is answered with the same certificate; a second key is beyond the policy (one per grant), with nothing written', async () => {
      const again = await server.api('POST', grants(`/${first.id}/certificates`), { publicKey: (await work.read('tina.pub')).toString() }, tokens.tina);
      assert.equal(again.status, 200);
      assert.equal(again.body.certificate, (await work.read('tina-cert.pub')).toString().trim());
      const other = await userKey('tina-laptop');
      await expectRefusal(server, () => server.api('POST', grants(`/${first.id}/certificates`), { publicKey: other }, tokens.tina), 409, 'ACCESS_CERTIFICATE_LIMIT', 'a second certificate');
      await expectRefusal(server, () => server.api('POST', grants(`/${first.id}/certificates`), { publicKey: 'ssh-ed25519 AAAAnope' }, tokens.tina), 400, 'SSH_PUBLIC_KEY_INVALID', 'a broken key');
      await expectRefusal(server, () => server.api('POST', grants(`/${first.id}/certificates`), { publicKey: other }, tokens.anna), 403, 'FORBIDDEN', 'an approver asking');
    });

    it('no certificate for a grant awaiting approval, denied, expired or ended, with nothing written', async () => {
      const pub = (await work.read('tina-laptop.pub')).toString();
      const pending = await server.api('POST', grants(), { devices: ['S1'], purpose: 'p', durationSeconds: 600 }, tokens.tina);
      const p = await expectRefusal(server, () => server.api('POST', grants(`/${pending.body.id}/certificates`), { publicKey: pub }, tokens.tina), 409, 'ACCESS_GRANT_NOT_ACTIVE', 'awaiting approval');
      assert.match(p.detail ?? '', /awaiting approval/);
      await server.api('POST', grants(`/${pending.body.id}/deny`), {}, tokens.anna);
      assert.match((await expectRefusal(server, () => server.api('POST', grants(`/${pending.body.id}/certificates`), { publicKey: pub }, tokens.tina), 409, 'ACCESS_GRANT_NOT_ACTIVE', 'denied')).detail ?? '', /denied/);
      const ended = await approvedGrant({ devices: ['S1'] });
      await server.api('POST', grants(`/${ended.id}/end`), { reason: 'done early' }, tokens.tina);
      assert.match((await expectRefusal(server, () => server.api('POST', grants(`/${ended.id}/certificates`), { publicKey: pub }, tokens.tina), 409, 'ACCESS_GRANT_NOT_ACTIVE', 'ended')).detail ?? '', /ended/);
      const short = await approvedGrant({ devices: ['S1'], durationSeconds: 300 });
      clock.advance(301_000);
      assert.match((await expectRefusal(server, () => server.api('POST', grants(`/${short.id}/certificates`), { publicKey: pub }, tokens.tina), 409, 'ACCESS_GRANT_NOT_ACTIVE', 'expired')).detail ?? '', /expired/);
    });

    it('a grant ended early: its serial is in the next KRL (device listener and plain HTTP alike), and ssh-keygen -Q says revoked', async () => {
      const before = await krlOf('S1');
      assert.equal((await revokedBy(before, 'tina-cert.pub')).revoked, false);
      const g = await approvedGrant({ tag: 'lab' });
      const pub = await userKey('tina-tag');
      const issued = await server.api('POST', grants(`/${g.id}/certificates`), { publicKey: pub }, tokens.tina);
      assert.equal(issued.status, 201);
      await work.write('tina-tag-cert.pub', `${issued.body.certificate}\n`);
      assert.match(await keygen(['-L', '-f', 'tina-tag-cert.pub']), /Principals: \n\s+tag:lab\n/);
      const ended = await server.api('POST', grants(`/${g.id}/end`), { reason: 'laptop stolen' }, tokens.anna);
      assert.equal(ended.status, 200);
      const krl = await krlOf('S1');
      assert.ok((await revokedBy(krl, 'tina-tag-cert.pub')).revoked, 'the ended grant is revoked');
      assert.equal((await revokedBy(krl, 'tina-cert.pub')).revoked, false, 'a current grant is not');
      const plain = await fetch(`${server.url}/products/${SKU}/ssh/krl`);
      assert.equal(plain.status, 200);
      assert.deepEqual(Buffer.from(await plain.arrayBuffer()), krl);
      const history = (await server.api('GET', grants(`/${g.id}`))).body.history as { action: string; details: Record<string, unknown> }[];
      assert.deepEqual(history.at(-1)?.details.krl, true);
      assert.equal(history.at(-1)?.details.reason, 'laptop stolen');
    });

    it('decommissioning a device ends its grants and the grant serial appears in the KRL the server serves', async () => {
      const krl0 = await krlOf('S3');
      assert.equal((await revokedBy(krl0, 'tina-cert.pub')).revoked, false);
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/S2/decommission`, {})).status, 200);
      const krl = await krlOf('S3');
      const q = await revokedBy(krl, 'tina-cert.pub');
      assert.ok(q.revoked, q.output);
      assert.equal((await server.api('GET', grants(`/${first.id}`))).body.status, 'ended');
      // the decommissioned device itself is no longer served
      const gone = await onListener('S2', 'GET', 'config');
      assert.ok(gone.status === 401 || gone.status === 409, `${gone.status}`);
    });

    it('the device learns what its sshd needs over mutual TLS: the user CA key, its principals; nothing without its certificate', async () => {
      const config = await onListener('S1', 'GET', 'config');
      assert.equal(config.status, 200, JSON.stringify(config.body));
      const body = config.body as { userCaKeys: string[]; principals: string[]; krlRefreshSeconds: number };
      assert.deepEqual(body.principals, [`device:${SKU}:S1`, 'tag:lab', `product:${SKU}`]);
      assert.equal(body.krlRefreshSeconds, 300);
      await work.write('user-ca.pub', `${body.userCaKeys[0]}\n`);
      const caFingerprint = (await keygen(['-l', '-f', 'user-ca.pub'])).split(' ')[1]!;
      assert.match(await keygen(['-L', '-f', 'tina-cert.pub']), new RegExp(`Signing CA: ED25519 ${caFingerprint.replace(/[+/]/g, '\\$&')}`));
      const anonymous = await estRequest(`${server.estUrl}/device/v1/${SKU}/ssh/config`, 'GET', { ca: server.rootPem });
      assert.equal(anonymous.status, 401);
    });

    it('a host certificate for the device host key: ssh-keygen -L shows its names; asked again, the same one; a ledger event', async () => {
      await keygen(['-q', '-t', 'ed25519', '-N', '', '-C', 'host', '-f', 'host_ed25519_key']);
      const hostPub = (await work.read('host_ed25519_key.pub')).toString().trim();
      const issued = await onListener('S1', 'POST', 'host-certificate', { publicKey: hostPub });
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      const body = issued.body as { certificate: string; validBefore: string; hostCaKey: string };
      await work.write('host-cert.pub', `${body.certificate}\n`);
      const shown = await keygen(['-L', '-f', 'host-cert.pub']);
      assert.match(shown, /host certificate/);
      assert.match(shown, new RegExp(`Principals: \\n\\s+S1\\n\\s+s1\\n\\s+S1\\.${SKU}\\n\\s+s1\\.${SKU.toLowerCase()}\\n`));
      assert.equal(new Date(body.validBefore).getTime(), clock.now().getTime() + 30 * 86_400_000);
      assert.match(body.hostCaKey, /^ssh-ed25519 AAAA/);
      const again = await onListener('S1', 'POST', 'host-certificate', { publicKey: hostPub });
      assert.equal((again.body as { certificate: string }).certificate, body.certificate);
      const history = (await server.api('GET', `/v1/products/${SKU}/devices/S1/history`)).body.items as { action: string; details: Record<string, unknown> }[];
      const events = history.filter((e) => e.action === 'ssh.host_certificate.issued');
      assert.equal(events.length, 1);
      assert.deepEqual(events[0]!.details.principals, ['S1', 's1', `S1.${SKU}`, `s1.${SKU.toLowerCase()}`]);
      const bad = await onListener('S1', 'POST', 'host-certificate', { publicKey: body.certificate });
      assert.equal(bad.status, 400);
      assert.equal((bad.body as { code: string }).code, 'SSH_PUBLIC_KEY_INVALID');
    });

    it('the helpers other suites use (test/support/access-grants.ts) grant, certify and end', async () => {
      const people = await accessPeople(server, { technician: 'tess', approver: 'abe' });
      const granted = await grantedCertificate(server, people, { sku: SKU, target: { devices: ['S3'] }, publicKey: await userKey('tess') });
      await work.write('tess-cert.pub', `${granted.certificate}\n`);
      assert.match(await keygen(['-L', '-f', 'tess-cert.pub']), new RegExp(`Serial: ${granted.serial}\\n`));
      await endGrant(server, people, SKU, granted.grantId);
      assert.ok((await revokedBy(await krlOf('S3'), 'tess-cert.pub')).revoked);
    });

    it('logins the device saw: each an access.used event on its grant, duplicates ignored, unknown serials counted apart', async () => {
      const g = await approvedGrant({ devices: ['S1'] });
      const login = { keyId: `tina:${g.id}`, serial: g.serial, at: clock.now().toISOString(), source: '127.0.0.1 port 50022' };
      const first = await onListener('S1', 'POST', 'logins', { logins: [login, { ...login, serial: '987654321' }] });
      assert.equal(first.status, 202, JSON.stringify(first.body));
      assert.deepEqual(first.body, { recorded: 1, unknown: 1 });
      const again = await onListener('S1', 'POST', 'logins', { logins: [login] });
      assert.deepEqual(again.body, { recorded: 0, unknown: 0 });
      const history = (await server.api('GET', grants(`/${g.id}`))).body.history as { action: string; details: Record<string, unknown> }[];
      const used = history.filter((e) => e.action === 'access.used');
      assert.equal(used.length, 1);
      assert.equal(used[0]!.details.device, 'S1');
      assert.equal(used[0]!.details.source, login.source);
      const bad = await onListener('S1', 'POST', 'logins', { logins: [{ ...login, serial: '-1' }] });
      assert.equal(bad.status, 400);
    });

    it("revoking a device revokes its host certificate: the host KRL lists it (ssh-keygen -Q), the event names it, a suspension does not; the user KRL is not touched", async () => {
      await keygen(['-q', '-t', 'ed25519', '-N', '', '-C', 'host3', '-f', 'host3_key']);
      const issued = await onListener('S3', 'POST', 'host-certificate', { publicKey: (await work.read('host3_key.pub')).toString().trim() });
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      await work.write('host3-cert.pub', `${(issued.body as { certificate: string }).certificate}\n`);
      const hostKrl = async () => {
        const r = await fetch(`${server.url}/products/${SKU}/ssh/host-krl`);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), 'application/octet-stream');
        return Buffer.from(await r.arrayBuffer());
      };
      assert.equal((await revokedBy(await hostKrl(), 'host3-cert.pub')).revoked, false);
      assert.equal((await revokedBy(await hostKrl(), 'host-cert.pub')).revoked, false, "S1's host certificate");
      // a suspension is an operator's pause, not the end: the host stays trusted
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/S3/suspend`, {})).status, 200);
      assert.equal((await revokedBy(await hostKrl(), 'host3-cert.pub')).revoked, false);
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/S3/reinstate`, {})).status, 200);
      assert.equal((await server.api('POST', `/v1/products/${SKU}/devices/S3/revoke`, { reason: 'keyCompromise' })).status, 200);
      const q = await revokedBy(await hostKrl(), 'host3-cert.pub');
      assert.ok(q.revoked, q.output);
      assert.equal((await revokedBy(await hostKrl(), 'host-cert.pub')).revoked, false, "S1's host certificate stays trusted");
      const history = (await server.api('GET', `/v1/products/${SKU}/devices/S3/history`)).body.items as { action: string; details: Record<string, unknown> }[];
      const revoked = history.find((e) => e.action === 'device.revoked');
      const serial = /Serial: (\d+)/.exec(await keygen(['-L', '-f', 'host3-cert.pub']))?.[1];
      assert.deepEqual(revoked?.details.sshHostCertificatesRevoked, [serial]);
      assert.equal((await revokedBy(await krlOf('S1'), 'host3-cert.pub')).revoked, false, 'the user CA KRL does not list host certificates');
    });

    it('maintenance prunes both KRLs: once a listed certificate has expired, the next version leaves it out', async () => {
      const people = await accessPeople(server, { technician: 'pru', approver: 'apru' });
      const granted = await grantedCertificate(server, people, { sku: SKU, target: { devices: ['S1'] }, publicKey: await userKey('pru'), durationSeconds: 3600 });
      await endGrant(server, people, SKU, granted.grantId);
      const listed = (krl: Buffer) => parseKrl(krl).certificates.flatMap((c) => c.serials).some((r) => r.min <= BigInt(granted.serial) && BigInt(granted.serial) <= r.max);
      const hostKrl = async () => Buffer.from(await (await fetch(`${server.url}/products/${SKU}/ssh/host-krl`)).arrayBuffer());
      const before = await krlOf('S1');
      assert.ok(listed(before), 'the ended grant is listed');
      assert.ok(parseKrl(await hostKrl()).certificates.some((c) => c.serials.length > 0), "S3's revoked host certificate is listed");
      // nothing has expired: maintenance leaves the KRL as it is
      await server.tp.maintain();
      assert.equal(parseKrl(await krlOf('S1')).version, parseKrl(before).version);
      clock.advance(3600_000 + 60_000);
      await server.tp.maintain();
      const pruned = await krlOf('S1');
      assert.ok(parseKrl(pruned).version > parseKrl(before).version, 'the version moved');
      assert.ok(!listed(pruned), 'the expired certificate is gone');
      // S3's host certificate (30 days) the same way, a month on
      clock.advance(31 * 86_400_000);
      await server.tp.maintain();
      assert.deepEqual(parseKrl(await hostKrl()).certificates.flatMap((c) => c.serials), []);
    });
  });
}
