import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { AgentError } from './agent-error.ts';
import { StateStore } from './state-store.ts';

const config = {
  server: 'https://127.0.0.1:8444',
  product: 'GW-1',
  serial: 'SN-1',
  caBundle: '/etc/trustplane/root.pem',
};

describe('agent state directory (docs/design/enrollment.md "Device agent")', () => {
  let dir = '';
  let store: StateStore;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'tp-agent-state-')), 'state');
    store = new StateStore(dir);
    await store.initialise(config);
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  test('agent.json round trip; the directories are private', async () => {
    assert.deepEqual(await store.readConfig(), config);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dir, 'ids'))).mode & 0o777, 0o700);
  });

  test('the hardware revision: none until given, then remembered; another one refused; a malformed one never stored', async () => {
    assert.equal(await store.hardwareRevision(undefined), undefined);
    const refused = (given: string, code: string) => assert.rejects(store.hardwareRevision(given), (e: unknown) => e instanceof AgentError && e.code === code);
    await refused('rev b', 'USAGE');
    assert.equal(await store.hardwareRevision('rev-b'), 'rev-b');
    assert.equal(await store.hardwareRevision(undefined), 'rev-b', 'remembered in agent.json');
    assert.deepEqual(await store.readConfig(), { ...config, hardwareRevision: 'rev-b' });
    await refused('rev-c', 'STATE_INVALID');
    await writeFile(join(dir, 'agent.json'), JSON.stringify({ ...config, hardwareRevision: 7 }));
    await assert.rejects(store.readConfig(), /"hardwareRevision" is malformed/);
  });

  test('key.pem is 0600 whatever the umask; cert.pem and chain.pem are readable', async () => {
    const old = process.umask(0o000);
    try {
      await store.writeKey(1, 'KEY');
      await store.writeCertificate(1, 'CERT');
      await store.writeChain(1, 'CHAIN');
    } finally {
      process.umask(old);
    }
    assert.equal((await stat(join(dir, 'ids/1/key.pem'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'ids/1/cert.pem'))).mode & 0o777, 0o644);
    assert.deepEqual(await store.readIdentity(1), { index: 1, keyPem: 'KEY', certPem: 'CERT', chainPem: 'CHAIN' });
  });

  test('a write leaves no temporary file; a rewrite replaces the whole file', async () => {
    await store.writeKey(1, 'KEY-A');
    await store.writeKey(1, 'KEY-B');
    assert.deepEqual(await readdir(join(dir, 'ids/1')), ['key.pem']);
    assert.equal((await store.readIdentity(1)).keyPem, 'KEY-B');
  });

  test('current is a relative symlink switched by rename: always a whole ids/<n>', async () => {
    await store.writeKey(1, 'K1');
    await store.switchCurrent(1);
    assert.equal(await readlink(join(dir, 'current')), 'ids/1');
    await store.writeKey(2, 'K2');
    await store.switchCurrent(2);
    assert.ok((await lstat(join(dir, 'current'))).isSymbolicLink());
    assert.equal(await readlink(join(dir, 'current')), 'ids/2');
    assert.deepEqual((await readdir(dir)).sort(), ['agent.json', 'current', 'ids']);
  });

  test('layout before the first switch: everything is unfinished', async () => {
    await store.writeKey(1, 'K1');
    assert.deepEqual(await store.layout(), { current: undefined, unfinished: [1], stale: [] });
  });

  test('layout after a kill before the switch: ids/<n+1> unfinished', async () => {
    await store.writeKey(1, 'K1');
    await store.switchCurrent(1);
    await store.writeKey(2, 'K2');
    assert.deepEqual(await store.layout(), { current: 1, unfinished: [2], stale: [] });
    assert.deepEqual(await store.readIdentity(2), { index: 2, keyPem: 'K2', certPem: undefined, chainPem: undefined });
  });

  test('layout after a kill between switch and cleanup: ids/<n> stale', async () => {
    await store.writeKey(1, 'K1');
    await store.writeKey(2, 'K2');
    await store.switchCurrent(2);
    assert.deepEqual(await store.layout(), { current: 2, unfinished: [], stale: [1] });
    await store.removeIdentity(1);
    assert.deepEqual(await store.layout(), { current: 2, unfinished: [], stale: [] });
  });

  test('temporary files of a killed write are removed; finished files are kept', async () => {
    await store.writeKey(1, 'K1');
    await writeFile(join(dir, 'ids/1/.cert.pem.tmp-123-abcd'), 'half a cert');
    await writeFile(join(dir, '.current.tmp-123-abcd'), '');
    await store.removeTemporaryFiles();
    assert.deepEqual(await readdir(join(dir, 'ids/1')), ['key.pem']);
    assert.deepEqual((await readdir(dir)).sort(), ['agent.json', 'ids']);
  });

  test('a broken state is an error, never a default', async () => {
    await writeFile(join(dir, 'agent.json'), '{"server": "x"}');
    await assert.rejects(store.readConfig(), /"product" is missing/);
    await mkdir(join(dir, 'elsewhere'));
    await rm(join(dir, 'current'), { force: true });
    await symlink('elsewhere', join(dir, 'current'));
    await assert.rejects(store.layout(), /not ids\/<n>/);
  });
});
