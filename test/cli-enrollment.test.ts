/**
 * End to end: factory provisioning from the operator's CLI (docs/reference/cli.md `batch`,
 * `product bootstrap-ca`) against the real server, both as child processes. Token files are
 * read back as CSV; tokens are tried on the EST listener (RFC 7030 simpleenroll, HTTP Basic).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { estRequest } from './support/est-client.ts';
import { runCli, ServeProcess, type CliRun } from './support/serve-process.ts';

const sku = 'E2E-FACTORY-1';
const tokenPattern = /^tpe_[A-Za-z0-9_-]{32}$/;

let home = '';
let work = '';
let serve: ServeProcess | undefined;
let estUrl = '';

/** `words('batch show --batch', id)`: arguments without spaces, written as one line. */
const words = (line: string, ...more: string[]): string[] => [...line.split(' ').filter((w) => w !== ''), ...more];

const cli = (args: readonly string[]): Promise<CliRun> =>
  runCli(args, {
    cwd: work,
    env: { TRUSTPLANE_URL: serve?.url ?? '', TRUSTPLANE_TOKEN: serve?.token ?? '', TRUSTPLANE_HOME: '' },
  });

async function ok(args: readonly string[]): Promise<CliRun> {
  const r = await cli(args);
  const log = serve === undefined || serve.exited ? `\nthe server has exited:\n${serve?.log.slice(-4000) ?? ''}` : '';
  assert.equal(r.code, 0, `trustplane ${args.join(' ')} → ${r.code}\n${r.stderr}${log}`);
  return r;
}

async function okJson<T>(args: readonly string[]): Promise<T> {
  return JSON.parse((await ok([...args, '--json'])).stdout) as T;
}

async function refused(args: readonly string[], code: number, stderr: RegExp): Promise<void> {
  const r = await cli(args);
  assert.equal(r.code, code, `trustplane ${args.join(' ')}\n${r.stderr}`);
  assert.match(r.stderr, stderr);
  assert.doesNotMatch(r.stdout, /tpe_/);
}

function openssl(args: readonly string[]): string {
  const r = spawnSync('openssl', args, { cwd: work, encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

/** `openssl req -x509`: a self-signed P-256 certificate with the given basicConstraints. */
function selfSigned(name: string, subject: string, basicConstraints: string): string {
  const newKey = words('req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365');
  openssl([
    ...newKey,
    '-subj',
    subject,
    '-addext',
    `basicConstraints=${basicConstraints}`,
    ...words(`-keyout ${name}.key -out ${name}.pem`),
  ]);
  return `${name}.pem`;
}

interface TokenRow {
  product: string;
  serial: string;
  token: string;
  expires_at: string;
}

async function readTokens(file: string): Promise<TokenRow[]> {
  const text = await readFile(join(work, file), 'utf8');
  assert.ok(text.startsWith('product,serial,token,expires_at\n'), text.slice(0, 80));
  return parse<TokenRow>(text, { columns: true });
}

async function modeOf(file: string): Promise<number> {
  return (await stat(join(work, file))).mode & 0o777;
}

interface Batch {
  id: string;
  product: string;
  factory: string;
  state: string;
  validFrom: string;
  validUntil: string;
  counts: { total: number; used: number; unused: number };
}

interface BatchSerial {
  serial: string;
  status: string;
  usedAt?: string;
  station?: string;
  certificateSerial?: string;
}

let rootCache: string | undefined;
async function rootPem(): Promise<string> {
  if (rootCache !== undefined) return rootCache;
  await ok(words(`ca export --product ${sku} --out chain.pem`));
  const chain = await readFile(join(work, 'chain.pem'), 'utf8');
  rootCache = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)?.at(-1);
  assert.ok(rootCache !== undefined, 'ca export gives the root last');
  return rootCache;
}

/** RFC 7030 §4.2.1 simpleenroll with a one-time token as HTTP Basic (§3.2.3), the CSR in PEM. */
async function estEnroll(serial: string, token: string, station?: string): Promise<{ status: number; code: unknown }> {
  const newKey = words('req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes');
  openssl([...newKey, '-subj', `/CN=${serial}`, ...words(`-keyout ${serial}.key -out ${serial}.csr`)]);
  const answer = await estRequest(`${estUrl}/.well-known/est/${sku}/simpleenroll`, 'POST', {
    ca: await rootPem(),
    basic: { user: serial, password: token },
    body: await readFile(join(work, `${serial}.csr`), 'utf8'),
    ...(station === undefined ? {} : { headers: { 'trustplane-station': station } }),
  });
  const code =
    typeof answer.body === 'object' && answer.body !== null ? (answer.body as { code?: unknown }).code : undefined;
  return { status: answer.status, code };
}

describe('factory provisioning from the CLI against the real server', { timeout: 180_000 }, () => {
  let rangeBatch: Batch;
  let fileBatch: Batch;
  let firstTokens: TokenRow[];

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'tp-enroll-home-'));
    work = await mkdtemp(join(tmpdir(), 'tp-enroll-work-'));
    serve = await ServeProcess.start({ home, cwd: work });
    assert.ok(serve.estUrl !== undefined, 'serve runs the EST listener');
    estUrl = serve.estUrl;
  });

  after(async () => {
    await serve?.stop();
    await rm(home, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  test('product create takes --server-keygen and --reenroll-grace-days', async () => {
    const create = words(
      `product create --sku ${sku} --cra-class default --support-until 2035-12-31 --key-alg ecdsa-p256`,
    );
    await ok([...create, '--name', 'Factory gateway', ...words('--server-keygen --reenroll-grace-days 7')]);
    const product = await okJson<{ serverKeygen: boolean; reenrollGraceDays: number }>(
      words(`product show --sku ${sku}`),
    );
    assert.deepEqual([product.serverKeygen, product.reenrollGraceDays], [true, 7]);
    const shown = (await ok(words(`product show --sku ${sku}`))).stdout;
    assert.match(shown, /^server keygen:\s+true$/m);
    assert.match(shown, /^reenroll grace days:\s+7$/m);
  });

  test('batch create --range writes the tokens CSV with mode 0600 and prints no secret', async () => {
    const r = await ok(
      words(
        `batch create --product ${sku} --factory line-1 --range SN-00001..SN-00005 --valid-days 30 --out range.csv`,
      ),
    );
    assert.doesNotMatch(r.stdout, /tpe_/);
    const id = /^batch:\s+(\S+)$/m.exec(r.stdout)?.[1];
    assert.ok(id !== undefined, r.stdout);
    assert.match(r.stdout, /^tokens:\s+5 \(used 0, unused 5\)$/m);
    assert.match(r.stderr, /^wrote range\.csv \(mode 0600\): 5 tokens, expiring \S+$/m);
    assert.equal(await modeOf('range.csv'), 0o600);

    firstTokens = await readTokens('range.csv');
    assert.deepEqual(
      firstTokens.map((t) => t.serial),
      ['SN-00001', 'SN-00002', 'SN-00003', 'SN-00004', 'SN-00005'],
    );
    rangeBatch = await okJson<Batch>(words(`batch show --batch ${id}`));
    for (const t of firstTokens) {
      assert.match(t.token, tokenPattern);
      assert.deepEqual([t.product, t.expires_at], [sku, rangeBatch.validUntil]);
    }
    const days = (Date.parse(rangeBatch.validUntil) - Date.parse(rangeBatch.validFrom)) / 86_400_000;
    assert.ok(Math.abs(days - 30) < 0.01, `valid for ${days} days`);
    assert.deepEqual([rangeBatch.product, rangeBatch.factory, rangeBatch.state], [sku, 'line-1', 'open']);
  });

  test('batch create --serials-file with --json prints the batch, never a token', async () => {
    await writeFile(join(work, 'serials.txt'), '# line 2, shift A\nFILE-1\nFILE-2\n\nFILE-3\n');
    const validFrom = new Date(Date.now() - 60_000).toISOString();
    const until = new Date(Date.now() + 100 * 86_400_000).toISOString().slice(0, 10); // a date alone: 00:00 UTC
    const r = await ok(
      words(`batch create --product ${sku} --factory line-2 --serials-file serials.txt --out file.csv --json`).concat(
        words(`--valid-from ${validFrom} --valid-until ${until}`),
      ),
    );
    assert.doesNotMatch(r.stdout, /tpe_/);
    fileBatch = JSON.parse(r.stdout) as Batch;
    assert.deepEqual(fileBatch.counts, { total: 3, used: 0, unused: 3 });
    assert.deepEqual([fileBatch.validFrom, fileBatch.validUntil], [validFrom, `${until}T00:00:00.000Z`]);
    assert.deepEqual(
      (await readTokens('file.csv')).map((t) => t.serial),
      ['FILE-1', 'FILE-2', 'FILE-3'],
    );
  });

  test('--out - puts the CSV alone on stdout and the batch on stderr', async () => {
    const r = await ok(
      words(`batch create --product ${sku} --factory line-3 --serials PIPE-1,PIPE-2 --valid-days 1 --out -`),
    );
    const rows = parse<TokenRow>(r.stdout, { columns: true });
    assert.deepEqual(
      rows.map((t) => t.serial),
      ['PIPE-1', 'PIPE-2'],
    );
    assert.ok(rows.every((t) => tokenPattern.test(t.token)));
    assert.match(r.stderr, /^tokens:\s+2 \(used 0, unused 2\)$/m);
  });

  test('a used token shows in batch show --serials with its station and certificate', async () => {
    const first = firstTokens[0]!;
    const enrolled = await estEnroll(first.serial, first.token, 'station-7');
    assert.equal(enrolled.status, 200, String(enrolled.code));
    const shown = await okJson<Batch & { serials: BatchSerial[] }>(
      words(`batch show --batch ${rangeBatch.id} --serials`),
    );
    assert.deepEqual(shown.counts, { total: 5, used: 1, unused: 4 });
    const used = shown.serials.find((s) => s.serial === first.serial);
    assert.deepEqual([used?.status, used?.station], ['used', 'station-7']);
    assert.match(used?.certificateSerial ?? '', /^[0-9a-fA-F]+$/);
    assert.equal(shown.serials.filter((s) => s.status === 'unused').length, 4);
    const text = (await ok(words(`batch show --batch ${rangeBatch.id} --serials`))).stdout;
    assert.match(text, /^serials:\s+unused 4, used 1, expired 0, void 0$/m);
    assert.match(text, /^SN-00001\s+used\s+\S+\s+station-7\s+[0-9a-fA-F]+$/m);
  });

  test('batch list shows every batch of the product', async () => {
    const list = await okJson<{ items: Batch[] }>(words(`batch list --product ${sku}`));
    assert.deepEqual(list.items.map((b) => b.factory).sort(), ['line-1', 'line-2', 'line-3']);
    const table = (await ok(words(`batch list --product ${sku}`))).stdout;
    assert.match(table, /^ID\s+FACTORY\s+STATE\s+VALID FROM\s+VALID UNTIL\s+TOTAL\s+USED\s+UNUSED$/m);
    assert.match(table, new RegExp(`^${rangeBatch.id}\\s+line-1\\s+open\\s+\\S+\\s+\\S+\\s+5\\s+1\\s+4$`, 'm'));
  });

  test('batch export re-mints the unused serials: the old tokens no longer work', async () => {
    const r = await ok(words(`batch export --batch ${rangeBatch.id} --out export.csv`));
    assert.match(
      r.stdout,
      /^re-minted 4 tokens for the unused serials of batch \S+, expiring \S+; the batch's earlier tokens no longer work$/m,
    );
    assert.equal(await modeOf('export.csv'), 0o600);
    const fresh = await readTokens('export.csv');
    assert.deepEqual(
      fresh.map((t) => t.serial),
      ['SN-00002', 'SN-00003', 'SN-00004', 'SN-00005'],
    );
    assert.ok(fresh.every((t) => t.product === sku && tokenPattern.test(t.token)));
    const old = new Set(firstTokens.map((t) => t.token));
    assert.ok(
      fresh.every((t) => !old.has(t.token)),
      'new secrets',
    );

    const stale = await estEnroll('SN-00002', firstTokens[1]!.token);
    assert.equal(stale.status, 401);
    assert.match(String(stale.code), /^ENROLLMENT_TOKEN_[A-Z]+$/);
    const current = await estEnroll('SN-00002', fresh[0]!.token);
    assert.equal(current.status, 200, String(current.code));

    const again = await cli(words(`batch export --batch ${rangeBatch.id} --out export.csv`));
    assert.equal(again.code, 1, 'an existing file is not replaced without --force');
    assert.match(again.stderr, /^error: export\.csv exists; pass --force to replace it\n/);
    await ok(words(`batch export --batch ${rangeBatch.id} --out export.csv --force`));
    assert.deepEqual(
      (await readTokens('export.csv')).map((t) => t.serial),
      ['SN-00003', 'SN-00004', 'SN-00005'],
    );
  });

  test('batch close: its unused tokens stop working', async () => {
    const r = await ok(words(`batch close --batch ${fileBatch.id}`));
    assert.equal(r.stdout, `batch ${fileBatch.id}: closed; its 3 unused tokens no longer work\n`);
    const closed = await okJson<Batch & { serials: BatchSerial[] }>(
      words(`batch show --batch ${fileBatch.id} --serials`),
    );
    assert.equal(closed.state, 'closed');
    assert.ok(
      closed.serials.every((s) => s.status === 'void'),
      JSON.stringify(closed.serials),
    );
    const token = (await readTokens('file.csv'))[0]!;
    const late = await estEnroll(token.serial, token.token);
    assert.notEqual(late.status, 200);
    assert.equal(late.code, 'BATCH_CLOSED');
    await refused(words(`batch close --batch ${fileBatch.id}`), 2, /^error: BATCH_CLOSED: /);
  });

  test('the server refuses: exit 2 with its code, and no tokens file is left', async () => {
    const create = words('batch create --product NO-SUCH-SKU --factory x --serials A --valid-days 1 --out none.csv');
    await refused(create, 2, /^error: PRODUCT_NOT_FOUND: /);
    assert.ok(!(await readdir(work)).some((n) => n.includes('none.csv')), 'neither the file nor its temp file');
    await refused(words('batch show --batch bat_00000000000000000000'), 2, /^error: BATCH_NOT_FOUND: /);
  });

  test('bootstrap-ca add takes a CA certificate; list shows it', async () => {
    const ca = selfSigned('idevid-ca', '/O=Acme/CN=Acme IDevID CA', 'critical,CA:TRUE');
    const fingerprint = openssl(words(`x509 -in ${ca} -noout -fingerprint -sha256`))
      .split('=')[1]!
      .trim()
      .replaceAll(':', '')
      .toLowerCase();

    const r = await ok(words(`product bootstrap-ca add --product ${sku} --ca ${ca}`));
    assert.match(r.stdout, /^subject:\s+.*Acme IDevID CA/m);
    assert.match(r.stdout, new RegExp(`^sha-256:\\s+${fingerprint}$`, 'mi'));

    const list = await okJson<{ items: { subject: string; fingerprintSha256: string }[] }>(
      words(`product bootstrap-ca list --product ${sku}`),
    );
    assert.deepEqual(
      list.items.map((c) => c.fingerprintSha256.replaceAll(':', '').toLowerCase()),
      [fingerprint],
    );
    const table = (await ok(words(`product bootstrap-ca list --product ${sku}`))).stdout;
    assert.match(table, /^ID\s+SUBJECT\s+NOT AFTER\s+SHA-256 FINGERPRINT$/m);
  });

  test('bootstrap-ca add refuses a non-CA certificate and a garbage file with exit 2 and the code', async () => {
    const leaf = selfSigned('leaf', '/CN=not-a-ca', 'critical,CA:FALSE');
    await refused(words(`product bootstrap-ca add --product ${sku} --ca ${leaf}`), 2, /^error: BOOTSTRAP_CA_INVALID: /);
    await writeFile(join(work, 'garbage.pem'), 'this is not a certificate\n');
    const garbage = words(`product bootstrap-ca add --product ${sku} --ca garbage.pem`);
    await refused(garbage, 2, /^error: CERTIFICATE_MALFORMED: /);
    const list = await okJson<{ items: unknown[] }>(words(`product bootstrap-ca list --product ${sku}`));
    assert.equal(list.items.length, 1, 'nothing was added');
  });

  test('usage errors exit 1 and send nothing', async () => {
    await writeFile(join(work, 'taken.csv'), 'keep me');
    const create = `batch create --product ${sku} --factory line-9`;
    for (const line of [
      `${create} --range SN-1..SN-100 --valid-days 1 --out u.csv`,
      `${create} --range SN-001..XN-100 --valid-days 1 --out u.csv`,
      `${create} --serials U-1 --range U-01..U-02 --valid-days 1 --out u.csv`,
      `${create} --serials U-1 --serials-file serials.txt --valid-days 1 --out u.csv`,
      `${create} --valid-days 1 --out u.csv`,
      `${create} --serials U-1 --out u.csv`,
      `${create} --serials U-1 --valid-days 1 --valid-until 2030-01-01 --out u.csv`,
      `${create} --serials U-1,U-1 --valid-days 1 --out u.csv`,
      `${create} --serials U-1 --valid-until 2030-01-01T00:00 --out u.csv`,
      `${create} --serials U-1 --valid-days 1 --out taken.csv`,
      `${create} --serials U-1 --valid-days 1 --out - --json`,
      `${create} --serials-file no-such.txt --valid-days 1 --out u.csv`,
      `${create} --serials U-1 --valid-days 1`,
      `batch export --batch ${rangeBatch.id}`,
      'batch show',
      `product bootstrap-ca add --product ${sku} --ca no-such.pem`,
      'product create --sku U --name U --cra-class default --support-until 2035-12-31 --reenroll-grace-days -1',
    ]) {
      const r = await cli(words(line));
      assert.equal(r.code, 1, `${line}\n${r.stderr}`);
      assert.match(r.stderr, /^error: /, line);
    }
    assert.equal(await readFile(join(work, 'taken.csv'), 'utf8'), 'keep me');
    const list = await okJson<{ items: Batch[] }>(words(`batch list --product ${sku}`));
    assert.ok(!list.items.some((b) => b.factory === 'line-9'), 'no batch was created');
    assert.ok(!(await readdir(work)).some((n) => n.startsWith('u.csv') || n.startsWith('.u.csv')));
  });
});
