import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { encodeKrl, formatSshPublicKey, parseKrl, sshPublicKeyFromKeyObject } from '../../ssh/index.ts';
import { AgentError } from '../agent-error.ts';
import { syncSshTrust, type SshTrustOptions } from './ssh-trust-files.ts';
import { SshApiStandIn, unreachable } from './testing/ssh-api-stand-in.ts';

const caKey = sshPublicKeyFromKeyObject(generateKeyPairSync('ed25519').publicKey);
const caLine = formatSshPublicKey(caKey, 'sku-1 user CA');
const krl = (version: bigint, serials: bigint[]): Buffer => encodeKrl({ caKey, serials, version, generatedAt: new Date('2026-01-01T00:00:00Z') });
const config = { userCaKeys: [caLine], principals: ['device:sku-1:0001', 'tag:lab'], krlRefreshSeconds: 120 };

let dir: string;
let api: SshApiStandIn;
let options: SshTrustOptions;
const logged: string[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tp-ssh-trust-'));
  api = new SshApiStandIn();
  api.krlAnswer = krl(1n, [5n]);
  api.configAnswer = config;
  logged.length = 0;
  options = { api, dir: join(dir, 'trustplane'), product: 'sku-1', serial: '0001', log: (l) => logged.push(l) };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const file = (name: string): Promise<Buffer> => readFile(join(options.dir, name));

test('the first sync writes the three files sshd reads; a second one with the same answers writes nothing', async () => {
  const first = await syncSshTrust(options);
  assert.deepEqual([first.krl.status, first.config.status, first.krlRefreshSeconds], ['written', 'written', 120]);
  assert.equal((await file('user_ca_keys')).toString(), `${caLine}\n`);
  assert.equal((await file('principals')).toString(), 'device:sku-1:0001\ntag:lab\n');
  assert.deepEqual(await file('revoked_keys'), krl(1n, [5n]));
  const second = await syncSshTrust(options);
  assert.deepEqual([second.krl.status, second.config.status], ['unchanged', 'unchanged']);
  assert.deepEqual((await readdir(options.dir)).sort(), ['principals', 'revoked_keys', 'user_ca_keys'], 'no temporary file left');
});

test('a KRL fetch that fails keeps the old KRL; the config is still refreshed', async () => {
  await syncSshTrust(options);
  api.krlAnswer = unreachable();
  api.configAnswer = { ...config, principals: ['device:sku-1:0001'] };
  const r = await syncSshTrust(options);
  assert.equal(r.krl.status, 'kept');
  assert.equal(r.krl.status === 'kept' && r.krl.error.code, 'UNREACHABLE');
  assert.deepEqual(await file('revoked_keys'), krl(1n, [5n]));
  assert.equal((await file('principals')).toString(), 'device:sku-1:0001\n');
  assert.ok(logged.some((l) => /KRL not updated, the previous files stay: UNREACHABLE/.test(l)));
});

test('a KRL that does not parse never replaces a good one: empty, truncated, signed, garbage', async () => {
  await syncSshTrust(options);
  const good = krl(2n, [5n, 6n]);
  const signedSection = Buffer.concat([good, Buffer.from([4, 0, 0, 0, 0])]);
  for (const bad of [Buffer.alloc(0), good.subarray(0, good.length - 3), signedSection, Buffer.from('<html>502 Bad Gateway</html>')]) {
    api.krlAnswer = bad;
    const r = await syncSshTrust(options);
    assert.equal(r.krl.status === 'kept' && r.krl.error.code, 'SSH_KRL_MALFORMED');
    assert.deepEqual(await file('revoked_keys'), krl(1n, [5n]));
  }
});

test('an older KRL is refused (an ended grant stays ended); a newer one replaces it', async () => {
  api.krlAnswer = krl(5n, [5n, 9n]);
  await syncSshTrust(options);
  api.krlAnswer = krl(4n, [5n]);
  const r = await syncSshTrust(options);
  assert.equal(r.krl.status === 'kept' && r.krl.error.code, 'SSH_KRL_ROLLBACK');
  assert.equal(parseKrl(await file('revoked_keys')).version, 5n);
  api.krlAnswer = krl(6n, [5n, 9n, 12n]);
  assert.equal((await syncSshTrust(options)).krl.status, 'written');
  assert.equal(parseKrl(await file('revoked_keys')).version, 6n);
});

test('a config that does not check is refused whole, and the files stay', async () => {
  await syncSshTrust(options);
  for (const bad of [
    { ...config, userCaKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== truncated'] },
    { ...config, userCaKeys: [`ssh-ed25519-cert-v01@openssh.com ${caKey.blob.toString('base64')}`] },
    { ...config, principals: ['device:sku-1:0002', 'tag:lab'] }, // another device's answer
    { ...config, principals: ['device:sku-1:0001', 'two words'] },
    { ...config, principals: ['device:sku-1:0001', '#comment'] },
  ]) {
    api.configAnswer = bad;
    const r = await syncSshTrust(options);
    assert.equal(r.config.status === 'kept' && r.config.error.code, 'SSH_CONFIG_INVALID', JSON.stringify(bad));
    assert.equal((await file('principals')).toString(), 'device:sku-1:0001\ntag:lab\n');
    assert.equal((await file('user_ca_keys')).toString(), `${caLine}\n`);
  }
});

test('a refusal by the server is kept with its code', async () => {
  api.krlAnswer = new AgentError('refused', 'DEVICE_NOT_ACTIVE', 'The device is not active', { httpStatus: 409 });
  const r = await syncSshTrust(options);
  assert.equal(r.krl.status === 'kept' && r.krl.error.code, 'DEVICE_NOT_ACTIVE');
  await assert.rejects(readFile(join(options.dir, 'revoked_keys')), { code: 'ENOENT' }, 'nothing written in its place');
});
