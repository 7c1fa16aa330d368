import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { parseAcceptedLogin, reportSshLogins } from './login-reports.ts';
import { SshApiStandIn } from './testing/ssh-api-stand-in.ts';

// sshd 9.2's own words (auth.c auth_log, auth2-pubkey.c), as the fixture in test/sshd-fixture.test.ts logs them.
const tail =
  'Accepted publickey for root from 127.0.0.1 port 45404 ssh2: ED25519-CERT SHA256:jT8khUji1NCqxJS0ELObWfxCSbzDNjLMioX5ZNkIo2Q ID alice:grant-10 (serial 10) CA ED25519 SHA256:PVPCoRka/BVfoeT4oAedJIw45y37eo8HDF2DMh/um98';
const clock = new FakeClock('2026-03-01T12:00:00Z');

test('sshd login lines in the forms a device logs them', () => {
  const now = clock.now();
  assert.deepEqual(parseAcceptedLogin(tail, now), { keyId: 'alice:grant-10', serial: '10', at: '2026-03-01T12:00:00.000Z', source: '127.0.0.1' });
  assert.equal(parseAcceptedLogin(`2026-02-28T23:59:58.123456+01:00 dev sshd[812]: ${tail}`, now)?.at, '2026-02-28T22:59:58.123Z');
  assert.equal(parseAcceptedLogin(`Feb 28 23:59:58 dev sshd[812]: ${tail}`, now)?.at, '2026-02-28T23:59:58.000Z');
  assert.equal(parseAcceptedLogin(`Dec 31 23:59:58 dev sshd[812]: ${tail}`, now)?.at, '2025-12-31T23:59:58.000Z', 'no year: last year, not the future');
  const v6 = tail.replace('127.0.0.1', '2001:db8::7').replace('alice:grant-10', 'bob: a key id (serial 99) with spaces');
  assert.deepEqual(parseAcceptedLogin(v6, now), { keyId: 'bob: a key id (serial 99) with spaces', serial: '10', at: '2026-03-01T12:00:00.000Z', source: '2001:db8::7' });
  for (const other of [
    'Failed publickey for root from 127.0.0.1 port 45416 ssh2: ED25519-CERT SHA256:x ID a (serial 10) CA ED25519 SHA256:y',
    'Accepted publickey for root from 127.0.0.1 port 45416 ssh2: ED25519 SHA256:jT8khUji1NCqxJS0ELObWfxCSbzDNjLMioX5ZNkIo2Q',
    tail.replace('(serial 10)', '(serial 18446744073709551616)'),
    '',
  ])
    assert.equal(parseAcceptedLogin(other, now), undefined, other);
});

let dir: string;
let log: string;
let position: string;
let api: SshApiStandIn;
const pass = () => reportSshLogins({ api, logFile: log, positionFile: position, clock, log: () => undefined });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tp-logins-'));
  log = join(dir, 'auth.log');
  position = join(dir, 'ssh-login-position.json');
  api = new SshApiStandIn();
});
afterEach(() => rm(dir, { recursive: true, force: true }));

test('each login is reported once; only new whole lines are read', async () => {
  await writeFile(log, `Connection from 127.0.0.1\n${tail}\n${tail.replace('serial 10', 'serial 11')}\nAccepted publickey for root from 1`);
  assert.deepEqual(await pass(), { reported: 2 });
  assert.deepEqual((await pass()).reported, 0);
  await appendFile(log, `.2.3.4 port 9 ssh2: ED25519-CERT SHA256:a ID c:3 (serial 3) CA ED25519 SHA256:b\n`);
  assert.deepEqual((await pass()).reported, 1, 'the line finished since is read whole');
  assert.deepEqual(api.loginBatches.flat().map((l) => [l.serial, l.source]), [['10', '127.0.0.1'], ['11', '127.0.0.1'], ['3', '1.2.3.4']]);
});

test('a lost answer: the same logins are sent again, then the position moves on', async () => {
  await writeFile(log, `${tail}\n`);
  api.loseLoginAnswers = 1;
  await assert.rejects(pass(), { code: 'UNREACHABLE' });
  assert.equal((await pass()).reported, 1);
  assert.equal((await pass()).reported, 0);
  assert.deepEqual(api.loginBatches.map((b) => b.length), [1, 1], 'the server saw it twice (it ignores the repeat) and no more');
  assert.deepEqual(api.loginBatches[0], api.loginBatches[1]);
});

test('a rotated log is read from its start; more than 100 logins go in batches of 100', async () => {
  await writeFile(log, `${tail}\n`);
  await pass();
  await rename(log, `${log}.1`);
  await writeFile(log, `${tail.replace('serial 10', 'serial 12')}\n`.repeat(250));
  assert.equal((await pass()).reported, 250);
  assert.deepEqual(api.loginBatches.map((b) => b.length), [1, 100, 100, 50]);
});
