/**
 * End to end: the real server (`trustplane serve`) and the CLI, both as child processes,
 * talking HTTP on loopback; certificates checked with openssl.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, runCli, ServeProcess, trustplaneBin, type CliRun } from './support/serve-process.ts';

const sku = 'E2E-GW-1';
const hasScript = spawnSync('script', ['--version']).status === 0;

type Run = CliRun;

let home = '';
let work = '';
let baseUrl = '';
let token = '';
let serve: ServeProcess | undefined;

/** Runs the CLI; the connection comes from the environment unless a test overrides it. */
const cli = (args: readonly string[], env: Record<string, string> = {}): Promise<Run> =>
  runCli(args, { cwd: work, env: { TRUSTPLANE_URL: baseUrl, TRUSTPLANE_TOKEN: token, TRUSTPLANE_HOME: '', ...env } });

async function ok(args: readonly string[], env?: Record<string, string>): Promise<Run> {
  const r = await cli(args, env);
  const log = serve === undefined || serve.exited ? `\nthe server has exited:\n${serve?.log.slice(-4000) ?? ''}` : '';
  assert.equal(r.code, 0, `trustplane ${args.join(' ')} → ${r.code}\n${r.stderr}${log}`);
  return r;
}

async function okJson<T>(args: readonly string[]): Promise<T> {
  return JSON.parse((await ok([...args, '--json'])).stdout) as T;
}

function openssl(args: readonly string[]): string {
  const r = spawnSync('openssl', args, { cwd: work, encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

function newCsr(name: string): string {
  openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=x',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  ]);
  return join(work, `${name}.csr`);
}

function csv(serials: readonly string[]): string {
  return ['serial,hardware_id', ...serials.map((s, i) => `${s},hw-${i}`)].join('\n') + '\n';
}

describe('trustplane CLI against the real server', { timeout: 180_000 }, () => {
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'tp-e2e-home-'));
    work = await mkdtemp(join(tmpdir(), 'tp-e2e-work-'));
    serve = await ServeProcess.start({ home, cwd: work });
    baseUrl = serve.url;
    token = serve.token;
  });

  after(async () => {
    await serve?.stop();
    await rm(home, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  test('product create, show, list', async () => {
    await ok([
      'product',
      'create',
      '--sku',
      sku,
      '--name',
      'Gateway',
      '--cra-class',
      'important-1',
      '--support-until',
      '2035-12-31',
      '--key-alg',
      'ecdsa-p256',
      '--cert-days',
      '365',
      '--renewal-days',
      '30',
      '--owner',
      'qa',
    ]);
    const product = await okJson<{ sku: string; craClass: string; keyAlgorithm: string }>([
      'product',
      'show',
      '--sku',
      sku,
    ]);
    assert.deepEqual([product.sku, product.craClass, product.keyAlgorithm], [sku, 'important-1', 'ecdsa-p256']);
    const list = await okJson<{ items: { sku: string }[] }>(['product', 'list']);
    assert.ok(list.items.some((p) => p.sku === sku));
    assert.match((await ok(['product', 'list'])).stdout, new RegExp(`^SKU .*\\n${sku} `, 's'));
  });

  test('the admin token is read from <home>/admin-token', async () => {
    await ok(['product', 'show', '--sku', sku], { TRUSTPLANE_TOKEN: '', TRUSTPLANE_HOME: home });
    await ok(['--home', home, 'product', 'show', '--sku', sku], { TRUSTPLANE_TOKEN: '' });
  });

  test('device register', async () => {
    const r = await ok(['device', 'register', '--product', sku, '--serial', 'DEV-1', '--hardware-id', 'hw-dev-1']);
    assert.equal(r.stdout, `${sku} DEV-1: registered\n`);
  });

  test('device import of 1200 rows: progress on a TTY, then the count', async () => {
    await writeFile(join(work, 'fleet.csv'), csv(Array.from({ length: 1200 }, (_, i) => `FLEET-${i}`)));
    if (hasScript) {
      // `script` gives the CLI a terminal, so the progress bar shows on stderr.
      const line = [process.execPath, trustplaneBin, 'device', 'import', '--product', sku, '--csv', 'fleet.csv'].join(' ');
      const r = spawnSync('script', ['-qec', line, '/dev/null'], {
        cwd: work,
        encoding: 'utf8',
        env: { ...process.env, TRUSTPLANE_URL: baseUrl, TRUSTPLANE_TOKEN: token },
      });
      assert.equal(r.status, 0, r.stdout);
      assert.match(r.stdout, /importing \[.*\] \d+\/1200 devices/);
      assert.match(r.stdout, /imported 1200 devices/);
    } else {
      const r = await ok(['device', 'import', '--product', sku, '--csv', 'fleet.csv']);
      assert.equal(r.stdout, 'imported 1200 devices\n');
    }
    const registered = await okJson<{ items: { serial: string }[] }>([
      'device',
      'list',
      '--product',
      sku,
      '--state',
      'registered',
    ]);
    assert.equal(registered.items.length, 1201, 'list follows pagination to the end');
  });

  test('device import without a TTY prints only the count', async () => {
    await writeFile(join(work, 'small.csv'), csv(['SMALL-1', 'SMALL-2']));
    const r = await ok(['device', 'import', '--product', sku, '--csv', 'small.csv']);
    assert.deepEqual([r.stdout, r.stderr], ['imported 2 devices\n', '']);
  });

  test('a CSV with a duplicate serial exits 1 naming the line, and writes nothing', async () => {
    await writeFile(join(work, 'dup.csv'), csv(['DUP-1', 'DUP-2', 'DUP-1']));
    const r = await cli(['device', 'import', '--product', sku, '--csv', 'dup.csv']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /line 4: duplicate serial "DUP-1" \(first on line 2\)/);
    const missing = await cli(['device', 'show', '--product', sku, '--serial', 'DUP-2']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^error: DEVICE_NOT_FOUND: /);
  });

  test('a chunk the server refuses names the CSV line and what went in before', async () => {
    const serials = Array.from({ length: 700 }, (_, i) => `LATE-${i}`);
    serials[650] = 'DEV-1'; // already registered: refused by the server, in the second chunk
    await writeFile(join(work, 'late.csv'), csv(serials));
    const r = await cli(['device', 'import', '--product', sku, '--csv', 'late.csv']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: DEVICE_EXISTS: /);
    assert.match(r.stderr, /CSV line 652 \(serial "DEV-1"\)/);
    assert.match(r.stderr, /imported 500 devices before this/);
  });

  test('enroll writes the certificate (0644) and chain; show and history', async () => {
    const csr = newCsr('dev1');
    const r = await ok([
      'device',
      'enroll',
      '--product',
      sku,
      '--serial',
      'DEV-1',
      '--csr',
      csr,
      '--out',
      'cert.pem',
      '--chain-out',
      'chain.pem',
    ]);
    assert.match(r.stderr, /wrote cert\.pem: certificate [0-9a-fA-F]+ /);
    assert.match(await readFile(join(work, 'cert.pem'), 'utf8'), /^-----BEGIN CERTIFICATE-----\n/);
    assert.equal((await stat(join(work, 'cert.pem'))).mode & 0o777, 0o644);
    assert.equal((await readFile(join(work, 'chain.pem'), 'utf8')).match(/BEGIN CERTIFICATE/g)?.length, 2);

    const device = await okJson<{ state: string; currentCertificate?: { status: string } }>([
      'device',
      'show',
      '--product',
      sku,
      '--serial',
      'DEV-1',
    ]);
    assert.equal(device.state, 'active');
    assert.equal(device.currentCertificate?.status, 'good');
    const history = await okJson<{ items: { action: string }[] }>([
      'device',
      'history',
      '--product',
      sku,
      '--serial',
      'DEV-1',
    ]);
    assert.ok(history.items.length >= 2, JSON.stringify(history));
    assert.match((await ok(['device', 'show', '--product', sku, '--serial', 'DEV-1'])).stdout, /^state:\s+active$/m);
  });

  test('enroll without --out prints the PEM on stdout', async () => {
    await ok(['device', 'register', '--product', sku, '--serial', 'DEV-2']);
    const r = await ok(['device', 'enroll', '--product', sku, '--serial', 'DEV-2', '--csr', newCsr('dev2')]);
    assert.match(r.stdout, /^-----BEGIN CERTIFICATE-----\n[\s\S]*-----END CERTIFICATE-----\n$/);
  });

  test('ca export, then openssl verifies the device certificate', async () => {
    await ok(['ca', 'export', '--product', sku, '--out', 'ca-chain.pem']);
    const pems = (await readFile(join(work, 'ca-chain.pem'), 'utf8')).match(
      /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g,
    );
    const [issuing, root, ...more] = pems ?? [];
    assert.ok(issuing !== undefined && root !== undefined && more.length === 0, 'issuing CA then root');
    await writeFile(join(work, 'issuing.pem'), issuing);
    await writeFile(join(work, 'root.pem'), root);
    assert.match(openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'issuing.pem', 'cert.pem']), /cert\.pem: OK/);
  });

  test('suspend, reinstate, renew, list --state', async () => {
    const device = ['--product', sku, '--serial', 'DEV-1'];
    assert.equal((await ok(['device', 'suspend', ...device])).stdout, `${sku} DEV-1: suspended\n`);
    const suspended = await okJson<{ items: { serial: string }[] }>([
      'device',
      'list',
      '--product',
      sku,
      '--state',
      'suspended',
    ]);
    assert.deepEqual(
      suspended.items.map((d) => d.serial),
      ['DEV-1'],
    );
    assert.equal((await ok(['device', 'reinstate', ...device])).stdout, `${sku} DEV-1: active\n`);
    await ok(['device', 'renew', ...device, '--csr', newCsr('dev1-renewed'), '--out', 'cert-renewed.pem']);
    const active = await okJson<{ items: { serial: string }[] }>([
      'device',
      'list',
      '--product',
      sku,
      '--state',
      'active',
    ]);
    assert.deepEqual(active.items.map((d) => d.serial).sort(), ['DEV-1', 'DEV-2']);
  });

  test('revoke keyCompromise, decommission; renewing then is refused with exit 2 and the code', async () => {
    const device = ['--product', sku, '--serial', 'DEV-1'];
    const revoked = JSON.parse(
      (await ok(['device', 'revoke', ...device, '--reason', 'keyCompromise', '--json'])).stdout,
    ) as {
      state: string;
    };
    assert.equal(revoked.state, 'revoked');
    assert.equal((await ok(['device', 'decommission', ...device])).stdout, `${sku} DEV-1: decommissioned\n`);
    const r = await cli(['device', 'renew', ...device, '--csr', newCsr('too-late'), '--out', 'nope.pem']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: DEVICE_(DECOMMISSIONED|NOT_ACTIVE): .+/);
    const history = await okJson<{ items: unknown[] }>(['device', 'history', ...device]);
    assert.ok(history.items.length >= 6, 'register, enroll, suspend, reinstate, renew, revoke, decommission');
  });

  test('token create prints the secret once; the token works and can be revoked', async () => {
    const r = await ok(['token', 'create', '--role', 'auditor', '--owner', 'audit-bot', '--ttl', '8h']);
    const secret = r.stdout.trim();
    assert.ok(secret.length >= 16 && !secret.includes('\n'), 'stdout holds only the secret');
    const id = /token (\S+) \(auditor, owner audit-bot\) expires \S+/.exec(r.stderr)?.[1];
    assert.ok(id !== undefined, r.stderr);

    await ok(['product', 'show', '--sku', sku], { TRUSTPLANE_TOKEN: secret });
    const forbidden = await cli(['device', 'register', '--product', sku, '--serial', 'NOPE'], {
      TRUSTPLANE_TOKEN: secret,
    });
    assert.equal(forbidden.code, 2);
    assert.match(forbidden.stderr, /^error: FORBIDDEN: /);

    const listed = await ok(['token', 'list', '--json']);
    assert.ok(listed.stdout.includes(id));
    assert.ok(!listed.stdout.includes(secret), 'token list never shows a secret');

    await ok(['token', 'revoke', '--id', id]);
    const after = await cli(['product', 'list'], { TRUSTPLANE_TOKEN: secret });
    assert.equal(after.code, 2);
    assert.match(after.stderr, /^error: TOKEN_(REVOKED|INVALID): /);
  });

  test('factory token limited to a product', async () => {
    const r = await ok(['token', 'create', '--role', 'factory', '--owner', 'line-1', '--ttl', '30m', '--product', sku]);
    assert.match(r.stderr, new RegExp(`\\(factory for ${sku}, owner line-1\\)`));
  });

  test('exit 3 when the server cannot be reached', async () => {
    const r = await cli(['product', 'list'], { TRUSTPLANE_URL: `http://127.0.0.1:${await freePort()}` });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /^error: cannot reach the trustplane server at http:\/\/127\.0\.0\.1:\d+\n/);
  });

  test('exit 1 for usage errors, with nothing sent', async () => {
    for (const args of [
      ['device', 'register', '--product', sku],
      ['token', 'create', '--role', 'admin', '--owner', 'x', '--ttl', '8 hours'],
      ['device', 'revoke', '--product', sku, '--serial', 'DEV-2', '--reason', 'because'],
      ['device', 'enroll', '--product', sku, '--serial', 'DEV-2', '--csr', 'no-such.csr'],
      ['device', 'import', '--product', sku, '--csv', 'no-such.csv'],
      ['product', 'create', '--sku', 'X', '--name', 'X', '--cra-class', 'default', '--support-until', '2035-13-01'],
      ['frobnicate'],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 1, `${args.join(' ')}\n${r.stderr}`);
      assert.match(r.stderr, /error/);
    }
    const still = await okJson<{ state: string }>(['device', 'show', '--product', sku, '--serial', 'DEV-2']);
    assert.equal(still.state, 'active');
  });
});
