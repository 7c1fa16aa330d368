/**
 * Interop, EST (RFC 7030) with clients nobody here wrote: `openssl req` makes keys and CSRs, `curl`
 * speaks EST over TLS (Basic with a one-time token, a bootstrap IDevID, the device's own
 * certificate), `openssl pkcs7 -print_certs` reads the answers and `openssl verify` judges them.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { databaseTargets } from './support/databases.ts';
import { splitPem, Workdir } from './support/openssl.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const supportUntil = `${new Date().getUTCFullYear() + 5}-12-31`;

for (const target of databaseTargets()) {
  describe(`EST interop with curl and openssl (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;
    let est: string;
    let tokens: Map<string, string>;

    before(async () => {
      server = await startTestServer({ target, est: true });
      work = await Workdir.create('tp-est-');
      await work.write('root.pem', server.rootPem);
      est = `${server.estUrl}/.well-known/est`;
      await server.createProduct({ sku: 'EST-A', name: 'EST sensor', craClass: 'important-1', supportUntil, renewalWindowDays: 30 });
      ({ tokens } = await server.createBatch('EST-A', { serials: ['D1', 'D2'], validForMs: 7 * 86_400_000 }));
    });
    after(async () => {
      await server?.destroy();
      await work?.remove();
    });

    /** curl over TLS to the EST listener, trusting only the root; the HTTP status and body file. */
    async function curl(path: string, args: string[], out: string): Promise<{ http: number; type: string }> {
      const r = await work.run('curl', ['-s', '--cacert', 'root.pem', '-o', out, '-w', '%{http_code} %{content_type}', ...args, `${est}/${path}`]);
      assert.equal(r.status, 0, `curl ${path}: ${r.output}`);
      const [http, ...type] = r.stdout.split(' ');
      return { http: Number(http), type: type.join(' ') };
    }

    /** An openssl CSR as EST wants it: base64 of the DER (RFC 8951). */
    async function estCsr(name: string, subject: string): Promise<string> {
      await work.makeKeyAndCsr(name, 'ecdsa-p256', subject);
      await work.opensslOk(['req', '-in', `${name}.csr`, '-outform', 'DER', '-out', `${name}.der`]);
      await work.write(`${name}.b64`, (await work.read(`${name}.der`)).toString('base64'));
      return `${name}.b64`;
    }

    /** The base64 certs-only answer, read by openssl pkcs7 into PEM certificates. */
    async function printCerts(b64File: string, pemFile: string): Promise<string[]> {
      await work.write(`${b64File}.der`, Buffer.from((await work.read(b64File)).toString('utf8'), 'base64'));
      await work.opensslOk(['pkcs7', '-inform', 'DER', '-in', `${b64File}.der`, '-print_certs', '-out', pemFile]);
      return splitPem((await work.read(pemFile)).toString('utf8'));
    }

    it('cacerts and csrattrs answer in RFC 7030 form', async () => {
      const r = await curl('EST-A/cacerts', [], 'cacerts.b64');
      assert.equal(r.http, 200);
      assert.match(r.type, /^application\/pkcs7-mime/);
      const certs = await printCerts('cacerts.b64', 'cacerts.pem');
      assert.equal(certs.length, 2, 'issuing CA and root');
      await work.write('issuing.pem', certs[0]!);
      assert.match(new X509Certificate(certs[0]!).subject, /EST-A Issuing CA/);

      const attrs = await curl('EST-A/csrattrs', [], 'csrattrs.b64');
      assert.equal(attrs.http, 200);
      assert.match(attrs.type, /^application\/csrattrs/);
      await work.write('csrattrs.der', Buffer.from((await work.read('csrattrs.b64')).toString('utf8'), 'base64'));
      const parsed = await work.opensslOk(['asn1parse', '-inform', 'DER', '-in', 'csrattrs.der']);
      assert.match(parsed.stdout, /prime256v1/);
      assert.match(parsed.stdout, /ecdsa-with-SHA256/);
    });

    it('enrolls with a one-time token over TLS, and openssl verifies the chain', async () => {
      const csr = await estCsr('d1', '/CN=D1');
      const r = await curl('EST-A/simpleenroll', ['-u', `D1:${tokens.get('D1')}`, '-H', 'Content-Type: application/pkcs10', '-H', 'Trustplane-Station: st-07', '--data-binary', `@${csr}`], 'd1.p7');
      assert.equal(r.http, 200, (await work.read('d1.p7')).toString());
      assert.match(r.type, /^application\/pkcs7-mime; smime-type=certs-only/);
      const [cert] = await printCerts('d1.p7', 'd1.pem');
      assert.ok(cert);
      const verify = await work.openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'issuing.pem', 'd1.pem']);
      assert.equal(verify.status, 0, verify.output);
      assert.match(verify.stdout, /d1.pem: OK/);
      const text = await work.opensslOk(['x509', '-in', 'd1.pem', '-noout', '-subject', '-ext', 'subjectAltName']);
      assert.match(text.stdout, /serialNumber ?= ?D1/);
      assert.match(text.stdout, /URI:urn:trustplane:device:EST-A:D1/);

      const history = await server.api('GET', '/v1/products/EST-A/devices/D1/history');
      const enrolled = (history.body.items as { action: string; actor: string; details: Record<string, unknown> }[]).find((e) => e.action === 'device.enrolled');
      assert.ok(enrolled, 'an enrollment event');
      assert.equal(enrolled.details.via, 'est-token');
      assert.equal(enrolled.details.factory, 'line-1');
      assert.equal(enrolled.details.station, 'st-07');
      assert.match(String(enrolled.details.batch), /^bat_/);
      assert.match(enrolled.actor, /^device:EST-A:D1/);
    });

    it('renews over simplereenroll with curl --cert/--key, rotating the key; the old certificate is superseded', async () => {
      const csr = await estCsr('d1b', '/CN=D1');
      const r = await curl('EST-A/simplereenroll', ['--cert', 'd1.pem', '--key', 'd1.key', '-H', 'Content-Type: application/pkcs10', '--data-binary', `@${csr}`], 'd1b.p7');
      assert.equal(r.http, 200, (await work.read('d1b.p7')).toString());
      await printCerts('d1b.p7', 'd1b.pem');
      const verify = await work.openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'issuing.pem', 'd1b.pem']);
      assert.equal(verify.status, 0, verify.output);
      const oldSerial = new X509Certificate((await work.read('d1.pem')).toString()).serialNumber.toLowerCase();
      const newSerial = new X509Certificate((await work.read('d1b.pem')).toString()).serialNumber.toLowerCase();
      const device = await server.api('GET', '/v1/products/EST-A/devices/D1');
      const certs = device.body.certificates as { serialNumber: string; status: string }[];
      assert.equal(certs.find((c) => c.serialNumber === oldSerial)?.status, 'superseded');
      assert.equal(certs.find((c) => c.serialNumber === newSerial)?.status, 'good');
      const history = await server.api('GET', '/v1/products/EST-A/devices/D1/history');
      const renewed = (history.body.items as { action: string; details: Record<string, unknown> }[]).find((e) => e.action === 'device.renewed');
      assert.equal(renewed?.details.supersedes, oldSerial);
      assert.equal(renewed?.details.keyRotated, true);
      assert.equal(renewed?.details.via, 'est-reenroll');
    });

    it('enrolls a device by its manufacturer bootstrap certificate (IEEE 802.1AR IDevID)', async () => {
      // The manufacturer's CA and a device's IDevID, made by openssl alone.
      await work.makeManufacturerCa('mfg', '/O=Maker/CN=Maker IDevID CA');
      await work.makeIdevid('idev', 'mfg', 'D3');
      const added = await server.api('POST', '/v1/products/EST-A/bootstrap-cas', { certificate: (await work.read('mfg.pem')).toString() });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.equal((await server.api('POST', '/v1/products/EST-A/devices', { serial: 'D3' })).status, 201);

      const csr = await estCsr('d3', '/CN=D3');
      const r = await curl('EST-A/simpleenroll', ['--cert', 'idev.pem', '--key', 'idev.key', '-H', 'Content-Type: application/pkcs10', '--data-binary', `@${csr}`], 'd3.p7');
      assert.equal(r.http, 200, (await work.read('d3.p7')).toString());
      await printCerts('d3.p7', 'd3.pem');
      const verify = await work.openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'issuing.pem', 'd3.pem']);
      assert.equal(verify.status, 0, verify.output);
      const history = await server.api('GET', '/v1/products/EST-A/devices/D3/history');
      const enrolled = (history.body.items as { action: string; details: Record<string, unknown> }[]).find((e) => e.action === 'device.enrolled');
      assert.equal(enrolled?.details.via, 'est-bootstrap');
      assert.equal(enrolled?.details.bootstrapCa, added.body.id);
    });

    it('serverkeygen answers multipart/mixed with a PKCS#8 key and its certificate, for a product that allows it', async () => {
      await server.createProduct({ sku: 'EST-KG', name: 'keyless', craClass: 'default', supportUntil, serverKeygen: true });
      const batch = await server.createBatch('EST-KG', { serials: ['K1'] });
      const csr = await estCsr('k1', '/CN=K1');
      const r = await curl('EST-KG/serverkeygen', ['-u', `K1:${batch.tokens.get('K1')}`, '-H', 'Content-Type: application/pkcs10', '--data-binary', `@${csr}`], 'k1.multipart');
      assert.equal(r.http, 200, (await work.read('k1.multipart')).toString());
      const boundary = /boundary=([^;\s]+)/.exec(r.type)?.[1];
      assert.ok(boundary, r.type);
      const parts = (await work.read('k1.multipart')).toString().split(`--${boundary}`).slice(1, -1);
      assert.equal(parts.length, 2);
      const body = (part: string) => part.split('\r\n\r\n')[1]!.trim();
      assert.match(parts[0]!, /Content-Type: application\/pkcs8/);
      await work.write('k1.key.der', Buffer.from(body(parts[0]!), 'base64'));
      await work.write('k1.p7', body(parts[1]!));
      await printCerts('k1.p7', 'k1.pem');
      const keyPub = await work.opensslOk(['pkey', '-inform', 'DER', '-in', 'k1.key.der', '-pubout']);
      const certPub = await work.opensslOk(['x509', '-in', 'k1.pem', '-noout', '-pubkey']);
      assert.equal(keyPub.stdout, certPub.stdout, 'the key answered is the certified one');
      const history = await server.api('GET', '/v1/products/EST-KG/devices/K1/history');
      const enrolled = (history.body.items as { action: string; details: Record<string, unknown> }[]).find((e) => e.action === 'device.enrolled');
      assert.equal(enrolled?.details.keyGeneratedBy, 'server');
    });

    it('speaks TLS 1.2 and TLS 1.3, with a server certificate that chains to the root', async () => {
      for (const [min, max] of [['--tlsv1.2', '1.2'], ['--tlsv1.3', '1.3']] as const) {
        const r = await curl('EST-A/cacerts', [min, '--tls-max', max], `tls${max}.b64`);
        assert.equal(r.http, 200, `TLS ${max}`);
      }
    });
  });
}
