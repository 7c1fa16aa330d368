/**
 * Issue 14 end to end through the CLI: `trustplane access request|approve|deny|cert|revoke|list|
 * show|review` against the real server (`trustplane serve`), each as a child process; the
 * certificate `access cert` writes is read by `ssh-keygen -L`; a refusal exits 2 with its code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, ServeProcess, type CliRun } from './support/serve-process.ts';

const SKU = 'CLI-SSH';
let home = '';
let work = '';
let serve: ServeProcess | undefined;
const tokens = { admin: '', tina: '', anna: '' };

const cli = (args: readonly string[], token = tokens.admin): Promise<CliRun> =>
  runCli(args, { cwd: work, env: { TRUSTPLANE_URL: serve!.url, TRUSTPLANE_TOKEN: token, TRUSTPLANE_HOME: '' } });
async function ok(args: readonly string[], token?: string): Promise<CliRun> {
  const r = await cli(args, token);
  assert.equal(r.code, 0, `trustplane ${args.join(' ')} → ${r.code}\n${r.stderr}`);
  return r;
}
const okJson = async <T>(args: readonly string[], token?: string): Promise<T> => JSON.parse((await ok([...args, '--json'], token)).stdout) as T;

describe('trustplane access (CLI) against the real server', { timeout: 180_000 }, () => {
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'tp-access-home-'));
    work = await mkdtemp(join(tmpdir(), 'tp-access-work-'));
    serve = await ServeProcess.start({ home, cwd: work });
    tokens.admin = serve.token;
    await ok(['product', 'create', '--sku', SKU, '--name', 'Gateway', '--cra-class', 'default', '--support-until', '2035-12-31']);
    await ok(['device', 'register', '--product', SKU, '--serial', 'C1']);
    await ok(['device', 'register', '--product', SKU, '--serial', 'C2']);
    tokens.tina = (await ok(['token', 'create', '--role', 'technician', '--owner', 'tina', '--ttl', '8h'])).stdout.trim();
    tokens.anna = (await ok(['token', 'create', '--role', 'approver', '--owner', 'anna', '--ttl', '8h'])).stdout.trim();
    assert.equal(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tina', '-f', join(work, 'id_ed25519')]).status, 0);
  });
  after(async () => {
    await serve?.stop();
    await rm(home, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  test('request → approve (by someone else) → cert, read by ssh-keygen -L → show with its history → revoke', async () => {
    const asked = await okJson<{ id: string; status: string; serial: string }>(['access', 'request', '--product', SKU, '--devices', 'C1,C2', '--purpose', 'swap the SIM', '--ticket', 'OPS-3', '--duration', '2h'], tokens.tina);
    assert.equal(asked.status, 'requested');
    // run again after a lost answer: the open request, not a second one for anna to decide
    const retried = await ok(['access', 'request', '--product', SKU, '--devices', 'C2,C1', '--purpose', 'swap the SIM', '--ticket', 'OPS-3', '--duration', '2h'], tokens.tina);
    assert.match(retried.stderr, new RegExp(`grant ${asked.id} requested \\(already asked: your open request, nothing new\\)`));
    const self = await cli(['access', 'approve', '--grant', asked.id], tokens.tina);
    assert.equal(self.code, 2);
    assert.match(self.stderr, /FORBIDDEN/);
    const approved = await okJson<{ status: string; validUntil: string }>(['access', 'approve', '--grant', asked.id, '--note', 'ok'], tokens.anna);
    assert.equal(approved.status, 'approved');
    const cert = await ok(['access', 'cert', '--grant', asked.id, '--pubkey', 'id_ed25519.pub', '--out', 'id_ed25519-cert.pub'], tokens.tina);
    assert.match(cert.stderr, new RegExp(`key id tina:${asked.id}, serial ${asked.serial}`));
    assert.equal((await stat(join(work, 'id_ed25519-cert.pub'))).mode & 0o777, 0o644);
    const shown = spawnSync('ssh-keygen', ['-L', '-f', 'id_ed25519-cert.pub'], { cwd: work, encoding: 'utf8' });
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`Key ID: "tina:${asked.id}"`));
    assert.match(shown.stdout, new RegExp(`Principals: \\n\\s+device:${SKU}:C1\\n\\s+device:${SKU}:C2\\n`));
    assert.match(shown.stdout, /Extensions: \n\s+permit-pty\n/);
    const again = await cli(['access', 'cert', '--grant', asked.id, '--pubkey', 'id_ed25519.pub', '--out', 'again-cert.pub'], tokens.tina);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(await readFile(join(work, 'again-cert.pub'), 'utf8'), await readFile(join(work, 'id_ed25519-cert.pub'), 'utf8'));
    const show = (await ok(['access', 'show', '--grant', asked.id], tokens.tina)).stdout;
    for (const action of ['access.requested', 'access.granted', 'access.certificate_issued']) assert.match(show, new RegExp(action));
    const revoked = await okJson<{ status: string; endReason: string }>(['access', 'revoke', '--grant', asked.id, '--reason', 'job done'], tokens.anna);
    assert.deepEqual([revoked.status, revoked.endReason], ['ended', 'job done']);
    const refused = await cli(['access', 'cert', '--grant', asked.id, '--pubkey', 'id_ed25519.pub', '--out', 'late-cert.pub'], tokens.tina);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /ACCESS_GRANT_NOT_ACTIVE/);
  });

  test('deny, break-glass and its review, list', async () => {
    const asked = await okJson<{ id: string }>(['access', 'request', '--product', SKU, '--all', '--purpose', 'audit', '--duration', '1h'], tokens.tina);
    assert.equal((await okJson<{ status: string }>(['access', 'deny', '--product', SKU, '--grant', asked.id, '--note', 'no'], tokens.anna)).status, 'denied');
    const over = await cli(['access', 'request', '--product', SKU, '--devices', 'C1', '--purpose', 'outage', '--duration', '2h', '--break-glass'], tokens.tina);
    assert.equal(over.code, 2);
    assert.match(over.stderr, /ACCESS_DURATION_OVER_POLICY/);
    const glass = await ok(['access', 'request', '--product', SKU, '--devices', 'C1', '--purpose', 'outage', '--duration', '30m', '--break-glass', '--json'], tokens.tina);
    assert.match(glass.stderr, /break-glass grant .*until someone else reviews it/);
    const id = (JSON.parse(glass.stdout) as { id: string }).id;
    const unreviewed = await okJson<{ items: { id: string }[] }>(['access', 'list', '--product', SKU, '--unreviewed'], tokens.anna);
    assert.deepEqual(unreviewed.items.map((g) => g.id), [id]);
    await ok(['access', 'review', '--grant', id, '--note', 'INC-4'], tokens.anna);
    assert.deepEqual((await okJson<{ items: unknown[] }>(['access', 'list', '--product', SKU, '--unreviewed'], tokens.anna)).items, []);
    const table = (await ok(['access', 'list', '--product', SKU], tokens.tina)).stdout;
    assert.match(table, /^ID +STATUS +REQUESTER/);
    assert.match(table, /break-glass, reviewed/);
    const knownHosts = (await ok(['access', 'ca', '--product', SKU, '--known-hosts'], tokens.tina)).stdout.trim();
    assert.match(knownHosts, /^@cert-authority \* ssh-ed25519 AAAA\S+ trustplane host CA CLI-SSH$/);
    const withKrl = await ok(['access', 'ca', '--product', SKU, '--known-hosts', '--host-krl', 'host-krl'], tokens.tina);
    assert.match(withKrl.stderr, /RevokedHostKeys \/\S+\/host-krl/);
    // an empty KRL for the host CA, as ssh-keygen reads it
    const listed = spawnSync('ssh-keygen', ['-Q', '-l', '-f', 'host-krl'], { cwd: work, encoding: 'utf8' });
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /trustplane CLI-SSH host CA/);
    const usage = await cli(['access', 'request', '--product', SKU, '--purpose', 'x', '--duration', '1h'], tokens.tina);
    assert.equal(usage.code, 1);
  });
});
