/**
 * End to end: `trustplane ledger prove | check-proof | verify` and `device history` coverage against
 * the real server (child process, loopback), then a row tampered in the database with the server stopped.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDatabase } from '../src/store/database.ts';
import { freePort, runCli, ServeProcess, type CliRun } from './support/serve-process.ts';

const sku = 'LEDGER-E2E-1';

let home = '';
let work = '';
let baseUrl = '';
let port = 0;
let token = '';
let serve: ServeProcess | undefined;

const cli = (args: readonly string[]): Promise<CliRun> =>
  runCli(args, { cwd: work, env: { TRUSTPLANE_URL: baseUrl, TRUSTPLANE_TOKEN: token, TRUSTPLANE_HOME: '' } });

async function expectExit(code: number, args: readonly string[]): Promise<CliRun> {
  const r = await cli(args);
  assert.equal(r.code, code, `trustplane ${args.join(' ')} → ${r.code}\n${r.stdout}${r.stderr}\n${serve?.log.slice(-2000) ?? ''}`);
  return r;
}

/** Starts (or restarts, on the same home and port) the server. */
async function startServer(): Promise<void> {
  serve = await ServeProcess.start({ home, port, cwd: work });
  token = serve.token;
}

async function stopServer(): Promise<void> {
  await serve?.stop();
  serve = undefined;
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(baseUrl + path, { headers: { authorization: `Bearer ${token}` } });
  assert.ok(res.ok, `${path} → ${res.status} ${await res.clone().text()}`);
  return (await res.json()) as T;
}

interface HistoryItem {
  seq: number;
  action: string;
  coveredByCheckpoint?: boolean;
}

async function history(serial: string): Promise<HistoryItem[]> {
  const r = await expectExit(0, ['device', 'history', '--product', sku, '--serial', serial, '--json']);
  return (JSON.parse(r.stdout) as { items: HistoryItem[] }).items;
}

/** The server integrates every second: wait until a signed checkpoint covers every event so far. */
async function waitForCoverage(serial: string): Promise<HistoryItem[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const items = await history(serial);
    if (items.length > 0 && items.every((e) => e.coveredByCheckpoint === true)) return items;
    if (Date.now() > deadline) throw new Error(`events not covered within 30s: ${JSON.stringify(items)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

describe('trustplane ledger against the real server', { timeout: 180_000 }, () => {
  let events: HistoryItem[] = [];
  let target = 0;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'tp-ledger-home-'));
    work = await mkdtemp(join(tmpdir(), 'tp-ledger-work-'));
    port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    await startServer();
  });

  after(async () => {
    await stopServer();
    await rm(home, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  test('device history shows which events a signed checkpoint covers', async () => {
    // Product options as in test/cli.test.ts.
    await expectExit(0, [
      'product',
      'create',
      '--sku',
      sku,
      '--name',
      'Ledger gateway',
      '--cra-class',
      'default',
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
    for (const serial of ['L-1', 'L-2', 'L-3'])
      await expectExit(0, ['device', 'register', '--product', sku, '--serial', serial]);
    events = await waitForCoverage('L-2');
    assert.ok(events.length >= 1, JSON.stringify(events));
    target = events[0]!.seq;
    const table = (await expectExit(0, ['device', 'history', '--product', sku, '--serial', 'L-2'])).stdout;
    assert.match(table.split('\n')[0]!, /LEDGER$/);
    assert.match(table.split('\n')[1]!, /signed$/);
  });

  test('prove, then check-proof offline: OK; a tampered bundle: exit 2; not a bundle: exit 1', async () => {
    const r = await expectExit(0, ['ledger', 'prove', '--event', String(target), '--out', 'bundle.json']);
    assert.match(r.stderr, new RegExp(`^wrote bundle.json: event ${target} `));
    const ok = await expectExit(0, ['--url', 'http://127.0.0.1:1', 'ledger', 'check-proof', 'bundle.json']);
    assert.match(ok.stdout, new RegExp(`^OK: event ${target} is in the log of \\S+ at size \\d+\\n$`));
    assert.match(ok.stderr, /warning: .*self-consistent/);
    const bundle = JSON.parse(await readFile(join(work, 'bundle.json'), 'utf8')) as {
      entry: { leaf: string };
      verifierKey: string;
    };
    const pinned = await expectExit(0, ['ledger', 'check-proof', 'bundle.json', '--verifier-key', bundle.verifierKey]);
    assert.equal(pinned.stderr, '');
    const tampered = {
      ...bundle,
      entry: { ...bundle.entry, leaf: bundle.entry.leaf.replace('"actor":"', '"actor":"x') },
    };
    assert.notEqual(tampered.entry.leaf, bundle.entry.leaf);
    await writeFile(join(work, 'tampered.json'), JSON.stringify(tampered));
    const bad = await expectExit(2, ['ledger', 'check-proof', 'tampered.json']);
    assert.match(bad.stderr, /PROOF_INVALID/);
    await writeFile(join(work, 'junk.json'), '{"version":1');
    await expectExit(1, ['ledger', 'check-proof', 'junk.json']);
  });

  test('verify: OK, also from a checkpoint saved earlier', async () => {
    const r = await expectExit(0, ['ledger', 'verify']);
    assert.match(r.stdout, /^OK: \d+ entries of \S+ give every one of its \d+ signed checkpoints, the newest at size \d+\n$/);
    const kept = await api<{ items: unknown[] }>('/v1/ledger/checkpoints?limit=1000');
    assert.ok(kept.items.length > 1, 'the log keeps its older checkpoints');
    assert.match(r.stdout, new RegExp(`its ${kept.items.length} signed checkpoints`));
    assert.match(r.stderr, /verifier key comes from the server/);
    const cp = await api<{ checkpoint: string; verifierKey: string }>('/v1/ledger/checkpoint');
    await writeFile(join(work, 'old-checkpoint.txt'), cp.checkpoint);
    await writeFile(join(work, 'vkey.txt'), cp.verifierKey);
    // More events, a newer checkpoint: the old one must be a prefix of it.
    await expectExit(0, ['device', 'register', '--product', sku, '--serial', 'L-4']);
    await waitForCoverage('L-4');
    const pinned = await expectExit(0, [
      'ledger',
      'verify',
      '--from-checkpoint',
      'old-checkpoint.txt',
      '--verifier-key',
      cp.verifierKey,
    ]);
    assert.match(pinned.stdout, /extends your checkpoint at size \d+/);
    assert.equal(pinned.stderr, '');
  });

  test('an event row changed in the database: verify exits 2 naming the entry', async () => {
    await stopServer();
    const database = await openDatabase({ kind: 'pglite', dataDir: join(home, 'db') });
    try {
      const updated = await database.db
        .updateTable('events')
        .set({ details: JSON.stringify({ forged: true }) })
        .where('seq', '=', String(target))
        .executeTakeFirst();
      assert.equal(updated.numUpdatedRows, 1n);
    } finally {
      await database.close();
    }
    await startServer();
    const vkey = (await readFile(join(work, 'vkey.txt'), 'utf8')).trim();
    const r = await expectExit(2, ['ledger', 'verify', '--verifier-key', vkey]);
    assert.match(r.stderr, new RegExp(`^error: entry ${target} does not match the log's signed checkpoint`, 'm'));
    const old = await expectExit(2, [
      'ledger',
      'verify',
      '--verifier-key',
      vkey,
      '--from-checkpoint',
      'old-checkpoint.txt',
    ]);
    assert.match(old.stderr, new RegExp(`^error: entry ${target} does not match your checkpoint`, 'm'));
    // A bundle made before the change still checks out: the signed log is what it proves.
    await expectExit(0, ['ledger', 'check-proof', 'bundle.json', '--verifier-key', vkey]);
    // A new proof for the changed event cannot be made.
    await expectExit(2, ['ledger', 'prove', '--event', String(target), '--out', 'forged.json']);
  });
});
