// Issue 10 §4, with the real binary: a start that cannot go on exits with one line and leaves
// nothing; the embedded home is locked against a second server, and a killed server's lock does
// not outlive it; SIGTERM lets a request in flight finish, and a second signal exits at once.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, runServe, ServeProcess } from './support/serve-process.ts';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { makeCsr } from '../src/testkit/csr.ts';

async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

/**
 * A registration held in flight: `Expect: 100-continue` makes the server answer `100 Continue`
 * once it has the request's head, so the test knows the request is in the server before it sends
 * the body (or never sends it).
 */
async function registrationInFlight(s: ServeProcess, sku: string): Promise<{ req: ClientRequest; answer: Promise<IncomingMessage> }> {
  const req = request(`${s.url}/v1/products/${sku}/devices`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json', expect: '100-continue' },
  });
  const answer = new Promise<IncomingMessage>((resolve, reject) => req.once('response', resolve).once('error', reject));
  await new Promise<void>((resolve, reject) => {
    req.once('continue', resolve);
    answer.catch(reject);
    req.flushHeaders();
  });
  return { req, answer };
}

async function bodyOf(res: IncomingMessage): Promise<any> {
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return JSON.parse(text);
}

/** stderr without its trailing newline: exactly one line expected */
const oneLine = (stderr: string): string => {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${stderr}`);
  return lines[0]!;
};

describe('trustplane serve: start failures, the home lock, graceful stop (real binary)', { timeout: 300_000 }, () => {
  let work: string;
  const running: ServeProcess[] = [];
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tp-serve-start-'));
  });
  after(async () => {
    for (const s of running) await s.stop();
    await rm(work, { recursive: true, force: true });
  });

  for (const which of ['API', 'EST'] as const) {
    it(`an occupied ${which} port: exit 1, one line naming it, and no home created`, async () => {
      const [port, estPort] = [await freePort(), await freePort()];
      const taken = await occupy(which === 'API' ? port : estPort);
      try {
        const home = join(work, `never-${which}`);
        const run = await runServe({ home, port, estPort });
        assert.equal(run.code, 1);
        const busy = which === 'API' ? port : estPort;
        assert.match(oneLine(run.stderr), new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1:${busy} \\(${which}\\): the port is in use`));
        assert.equal(existsSync(home), false, 'the home is not created');
      } finally {
        await new Promise((resolve) => taken.close(resolve));
      }
    });
  }

  it('a failure after the home is made (a bad TRUSTPLANE_KEK): one line, exit 1, and the home is removed', async () => {
    const home = join(work, 'bad-kek');
    const run = await runServe({ home, port: await freePort(), estPort: 'off', env: { TRUSTPLANE_KEK: 'c2hvcnQ=' } });
    assert.equal(run.code, 1);
    assert.equal(oneLine(run.stderr.replace(/^creating the data home .*\n/, '')), 'error: TRUSTPLANE_KEK must be the base64 encoding of 32 bytes');
    assert.equal(existsSync(home), false);
  });

  it('SIGTERM during a first start: it stops at once and leaves no home', async () => {
    const fresh = join(work, 'interrupted');
    const s = await ServeProcess.launch({ home: fresh });
    // Printed once the home exists; making the store and the root CA takes seconds after it.
    await s.waitForLine(/^creating the data home /m);
    s.signal('SIGTERM');
    assert.deepEqual(await s.exit, { code: 143, signal: null });
    assert.match(s.stderr, /^SIGTERM while starting: stopped$/m);
    assert.equal(existsSync(fresh), false, 'the half-made home is removed');
  });

  const home = () => join(work, 'home');

  it('the first start says what it does; a second server on the home is refused with the holder PID', async () => {
    const first = await ServeProcess.start({ home: home() });
    running.push(first);
    for (const said of [/^creating the data home /m, /^opening the embedded database /m, /^root CA created/m, /^bootstrap admin token .* written to /m, /^trustplane listening on /m]) {
      assert.match(first.stderr, said);
    }
    assert.match(first.stderr, /embedded PGlite: survives a process crash but not a power loss.*production runs on PostgreSQL with fsync on/);
    assert.match(first.log, /^\{"level":30,/m, 'JSON log lines when stdout is not a terminal');
    assert.equal((await first.api('POST', '/v1/products', { sku: 'lock-1', name: 'Lock', craClass: 'default', supportUntil: '2036-01-01' })).status, 201);
    assert.equal((await first.api('POST', '/v1/products/lock-1/devices', { serial: 'BEFORE-KILL' })).status, 201);

    const second = await runServe({ home: home(), port: await freePort(), estPort: await freePort() });
    assert.equal(second.code, 1);
    assert.match(oneLine(second.stderr), new RegExp(`^error: the data home .* is in use by the trustplane server with PID ${first.pid};`));
    // The refused server changed nothing: the first still serves.
    assert.equal((await first.api('GET', '/v1/products/lock-1/devices/BEFORE-KILL')).status, 200);
  });

  it('TRUSTPLANE_CRL_MAX_AGE reaches the CRL answers of the real server', async () => {
    const s = await ServeProcess.start({ home: join(work, 'home-crl-age'), env: { TRUSTPLANE_CRL_MAX_AGE: '45' } });
    try {
      const product = await s.api('POST', '/v1/products', { sku: 'age-1', name: 'Age', craClass: 'default', supportUntil: '2036-01-01' });
      assert.equal(product.status, 201);
      const res = await fetch(`${s.url}/pki/${product.body.issuingCaId}/crl`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('cache-control') ?? '', /(^|[ ,])max-age=45(,|$)/);
    } finally {
      s.signal('SIGTERM');
      await s.exit;
    }
  });

  it('TRUSTPLANE_CRL_DELAY: a revocation reaches the CRL by the server\'s own batch, with no publish', async () => {
    const s = await ServeProcess.start({ home: join(work, 'home-crl-delay'), estPort: 'off', env: { TRUSTPLANE_CRL_DELAY: '1' } });
    try {
      const product = await s.api('POST', '/v1/products', { sku: 'delay-1', name: 'Delay', craClass: 'default', supportUntil: '2036-01-01' });
      assert.equal(product.status, 201);
      assert.equal((await s.api('POST', '/v1/products/delay-1/devices', { serial: 'D1' })).status, 201);
      const enrolled = await s.api('POST', '/v1/products/delay-1/devices/D1/enroll', { csr: makeCsr('ecdsa-p256').pem });
      assert.equal(enrolled.status, 201);
      const crlSerials = async (): Promise<string[]> => {
        const res = await fetch(`${s.url}/pki/${product.body.issuingCaId}/crl`);
        const crl = AsnConvert.parse(new Uint8Array(await res.arrayBuffer()), CertificateList);
        return (crl.tbsCertList.revokedCertificates ?? []).map((e) => Buffer.from(e.userCertificate).toString('hex').replace(/^0+/, ''));
      };
      assert.deepEqual(await crlSerials(), []);
      assert.equal((await s.api('POST', '/v1/products/delay-1/devices/D1/revoke', { reason: 'keyCompromise' })).status, 200);
      // The batch runs every second here: asked until the CRL lists it (a liveness check, not a timing).
      const serial = (enrolled.body.serialNumber as string).replace(/^0+/, '');
      let listed = await crlSerials();
      for (let i = 0; i < 200 && !listed.includes(serial); i++) {
        await new Promise((r) => setTimeout(r, 100));
        listed = await crlSerials();
      }
      assert.deepEqual(listed, [serial]);
    } finally {
      s.signal('SIGTERM');
      await s.exit;
    }
  });

  it('a server killed with SIGKILL leaves no lock behind, and its answered writes are there at the next start', async () => {
    const killed = running.pop()!;
    const token = await readFile(join(home(), 'admin-token'), 'utf8');
    killed.signal('SIGKILL');
    assert.equal((await killed.exit).signal, 'SIGKILL');

    const next = await ServeProcess.start({ home: home() });
    running.push(next);
    assert.doesNotMatch(next.stderr, /creating|root CA created|bootstrap admin token/, 'nothing is made again');
    assert.equal(await readFile(join(home(), 'admin-token'), 'utf8'), token, 'the token file is not rewritten');
    assert.equal((await next.api('GET', '/v1/products/lock-1/devices/BEFORE-KILL')).status, 200, 'a registration answered 201 survived the crash');
  });

  it('SIGTERM lets a request in flight finish, closes the store and exits 0; the data is intact at the next start', async () => {
    const s = running.pop()!;
    const { req, answer } = await registrationInFlight(s, 'lock-1');
    s.signal('SIGTERM');
    await s.waitForLine(/^SIGTERM: stopping/m);
    req.end(JSON.stringify({ serial: 'IN-FLIGHT' }));
    const res = await answer;
    assert.equal(res.statusCode, 201);
    assert.equal((await bodyOf(res)).serial, 'IN-FLIGHT');
    assert.deepEqual(await s.exit, { code: 0, signal: null });
    assert.match(s.stderr, /^stopped$/m);

    const next = await ServeProcess.start({ home: home(), env: { TRUSTPLANE_LOG_FORMAT: 'pretty' } });
    running.push(next);
    const device = await next.api('GET', '/v1/products/lock-1/devices/IN-FLIGHT');
    assert.equal(device.status, 200);
    assert.equal(device.body.state, 'registered');
    // TRUSTPLANE_LOG_FORMAT=pretty: readable lines even without a terminal.
    assert.match(next.log, /INFO.*: request completed/);
    assert.doesNotMatch(next.log, /^\{"level"/m);
  });

  it('a second SIGTERM exits at once while a request holds the graceful stop', async () => {
    const s = running.pop()!;
    const { req, answer } = await registrationInFlight(s, 'lock-1'); // its body never comes
    answer.catch(() => undefined); // the connection dies with the server
    s.signal('SIGTERM');
    await s.waitForLine(/^SIGTERM: stopping/m);
    s.signal('SIGTERM');
    assert.deepEqual(await s.exit, { code: 143, signal: null });
    assert.match(s.stderr, /^SIGTERM again: exiting without waiting$/m);
    req.destroy();
  });

  it('SIGINT (Ctrl-C) stops it gracefully too: the request in flight finishes, exit 0', async () => {
    const s = await ServeProcess.start({ home: join(work, 'home-sigint') });
    await s.api('POST', '/v1/products', { sku: 'int-1', name: 'Int', craClass: 'default', supportUntil: '2036-01-01' });
    const { req, answer } = await registrationInFlight(s, 'int-1');
    s.signal('SIGINT');
    await s.waitForLine(/^SIGINT: stopping/m);
    req.end(JSON.stringify({ serial: 'IN-FLIGHT' }));
    const res = await answer;
    assert.equal(res.statusCode, 201);
    assert.equal((await bodyOf(res)).serial, 'IN-FLIGHT');
    assert.deepEqual(await s.exit, { code: 0, signal: null }, s.stderr);
    assert.match(s.stderr, /^stopped$/m);
  });
});
