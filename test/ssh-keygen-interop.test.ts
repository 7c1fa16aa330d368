// OpenSSH certificates written by src/ssh against the ones ssh-keygen (OpenSSH 9.2) writes:
// the same CA key, the same request, the same nonce must give the same bytes (Ed25519 is
// deterministic, RFC 8032), and ssh-keygen -L must read ours as we meant it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  formatSshCertificate,
  formatSshPublicKey,
  parseSshCertificate,
  parseSshPublicKey,
  signSshCertificate,
  sshFingerprint,
  verifySshCertificate,
  type ParsedSshCertificate,
  type SshCertificateFields,
} from '../src/ssh/index.ts';
import { Workdir } from './support/openssl.ts';
import { makeSshCa, makeSshKey, sshKeygen, type TestSshCa } from './support/openssh.ts';

let work: Workdir;
let ca: TestSshCa;
let ecdsaCa: TestSshCa;
const keys = new Map<string, Awaited<ReturnType<typeof makeSshKey>>>();

before(async () => {
  work = await Workdir.create('tp-ssh-keygen-');
  ca = await makeSshCa(work, 'ca');
  ecdsaCa = await makeSshCa(work, 'ca-ecdsa', 'ecdsa-p256');
  for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) keys.set(type, await makeSshKey(work, `k-${type}`, type));
});
after(() => work.remove());

const from = new Date('2026-01-01T00:00:00Z');
const to = new Date('2026-01-01T08:00:00Z');
const window = '20260101000000Z:20260101080000Z';

async function theirs(caFile: string, keyFile: string, args: string[]): Promise<ParsedSshCertificate> {
  await sshKeygen(work, ['-q', '-s', caFile, ...args, `${keyFile}.pub`]);
  return parseSshCertificate((await work.read(`${keyFile}-cert.pub`)).toString('utf8'));
}

test('ssh-keygen reads our CA public keys as its own: the same line from the private key', async () => {
  for (const c of [ca, ecdsaCa]) {
    const derived = (await sshKeygen(work, ['-y', '-f', c.file])).stdout.trim();
    assert.equal(derived.split(' ').slice(0, 2).join(' '), c.line.split(' ').slice(0, 2).join(' '));
    const fp = (await sshKeygen(work, ['-l', '-f', `${c.file}.pub`])).stdout;
    assert.ok(fp.includes(sshFingerprint(c.publicKey)), fp);
  }
});

test('public keys ssh-keygen makes parse and format back to the same line', async () => {
  for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) {
    const key = keys.get(type)!;
    assert.equal(formatSshPublicKey(key.publicKey, `k-${type}`), key.line);
    const fp = (await sshKeygen(work, ['-l', '-f', `${key.file}.pub`])).stdout;
    assert.ok(fp.includes(sshFingerprint(key.publicKey)), fp);
  }
});

const userCases: { name: string; args: string[]; template: Omit<SshCertificateFields, 'publicKey'> }[] = [
  {
    name: 'a user certificate with critical options and extensions',
    args: ['-I', 'alice:grant-7', '-n', 'device:sku-1:0001,tag:lab', '-z', '7', '-V', window, '-O', 'clear', '-O', 'permit-pty', '-O', 'permit-port-forwarding', '-O', 'force-command=/usr/bin/true', '-O', 'source-address=127.0.0.1/32,::1/128'],
    template: {
      kind: 'user',
      serial: 7n,
      keyId: 'alice:grant-7',
      principals: ['device:sku-1:0001', 'tag:lab'],
      validAfter: from,
      validBefore: to,
      // given out of order on purpose: the encoder sorts as ssh-keygen does
      criticalOptions: { 'source-address': '127.0.0.1/32,::1/128', 'force-command': '/usr/bin/true' },
      extensions: ['permit-pty', 'permit-port-forwarding'],
    },
  },
  {
    name: "ssh-keygen's default extensions, byte order (permit-X11-forwarding first) and a large serial",
    args: ['-I', 'bob:grant-18446744073709551614', '-n', 'root', '-z', '18446744073709551614', '-V', window],
    template: {
      kind: 'user',
      serial: 18446744073709551614n,
      keyId: 'bob:grant-18446744073709551614',
      principals: ['root'],
      validAfter: from,
      validBefore: to,
      extensions: ['permit-pty', 'permit-user-rc', 'permit-agent-forwarding', 'permit-port-forwarding', 'permit-X11-forwarding'],
    },
  },
  {
    name: 'a host certificate',
    args: ['-h', '-I', 'host:sku-1:0001', '-n', 'device:sku-1:0001,0001.sku-1.example', '-z', '99', '-V', window],
    template: { kind: 'host', serial: 99n, keyId: 'host:sku-1:0001', principals: ['device:sku-1:0001', '0001.sku-1.example'], validAfter: from, validBefore: to },
  },
];

for (const c of userCases) {
  for (const keyType of ['ed25519', 'ecdsa', 'rsa'] as const) {
    test(`${c.name}, ${keyType} key, Ed25519 CA: byte for byte what ssh-keygen signs`, async () => {
      const key = keys.get(keyType)!;
      const expected = await theirs(ca.file, key.file, c.args);
      const ours = parseSshCertificate(await signSshCertificate({ ...c.template, publicKey: key.publicKey }, ca.signer, { nonce: expected.nonce }));
      const fields = (x: ParsedSshCertificate): object => ({ ...x, publicKey: x.publicKey.blob, signature: undefined, blob: undefined, signedBytes: undefined });
      assert.deepEqual(fields(ours), fields(expected));
      assert.equal(Buffer.from(ours.signedBytes).toString('hex'), Buffer.from(expected.signedBytes).toString('hex'));
      assert.equal(Buffer.from(ours.blob).toString('hex'), Buffer.from(expected.blob).toString('hex'));
      assert.ok(verifySshCertificate(expected));
      assert.ok(verifySshCertificate(ours));
    });
  }
}

test('ECDSA P-256 CA: the same signed bytes as ssh-keygen, signatures (r, s as mpints) verify both ways', async () => {
  const key = keys.get('ed25519')!;
  const c = userCases[0]!;
  const expected = await theirs(ecdsaCa.file, key.file, c.args);
  assert.ok(verifySshCertificate(expected), 'our verifier reads ssh-keygen ECDSA signatures');
  const ours = parseSshCertificate(await signSshCertificate({ ...c.template, publicKey: key.publicKey }, ecdsaCa.signer, { nonce: expected.nonce }));
  assert.deepEqual(Buffer.from(ours.signedBytes), Buffer.from(expected.signedBytes));
  assert.ok(verifySshCertificate(ours));
  // ssh-keygen -L verifies the signature when it loads the certificate (sshkey.c cert_parse).
  await work.write('ours-ecdsa-cert.pub', formatSshCertificate(ours.blob));
  const listed = (await sshKeygen(work, ['-L', '-f', 'ours-ecdsa-cert.pub'])).stdout;
  assert.match(listed, /Signing CA: ECDSA SHA256:\S+ \(using ecdsa-sha2-nistp256\)/);
});

test('ssh-keygen -L shows our key id, serial, principals, window and options', async () => {
  const key = keys.get('ed25519')!;
  const ours = await signSshCertificate({ ...userCases[0]!.template, publicKey: key.publicKey }, ca.signer);
  await work.write('ours-cert.pub', `${formatSshCertificate(ours, 'alice')}\n`);
  const back = parseSshCertificate(await work.read('ours-cert.pub'));
  assert.deepEqual(back.criticalOptions, { 'force-command': '/usr/bin/true', 'source-address': '127.0.0.1/32,::1/128' });
  assert.deepEqual(back.extensions, ['permit-port-forwarding', 'permit-pty']);
  assert.deepEqual([back.validAfter, back.validBefore], [from, to]);
  const listed = (await sshKeygen(work, ['-L', '-f', 'ours-cert.pub'])).stdout;
  assert.match(listed, /Type: ssh-ed25519-cert-v01@openssh.com user certificate/);
  assert.match(listed, new RegExp(`Signing CA: ED25519 ${sshFingerprint(ca.publicKey).replace(/[+/]/g, '\\$&')} \\(using ssh-ed25519\\)`));
  assert.match(listed, /Key ID: "alice:grant-7"/);
  assert.match(listed, /Serial: 7\n/);
  assert.match(listed, /Valid: from 2026-01-01T00:00:00 to 2026-01-01T08:00:00/);
  assert.match(listed, /Principals: \n\s+device:sku-1:0001\n\s+tag:lab\n/);
  assert.match(listed, /Critical Options: \n\s+force-command \/usr\/bin\/true\n\s+source-address 127.0.0.1\/32,::1\/128\n/);
  assert.match(listed, /Extensions: \n\s+permit-port-forwarding\n\s+permit-pty\n/);
});

test('a template trustplane must never sign is refused before signing', async () => {
  const key = parseSshPublicKey(ca.line);
  const base = { ...userCases[2]!.template, publicKey: key };
  const refusals: Partial<SshCertificateFields>[] = [
    { principals: [] },
    { principals: ['two words'] },
    { validBefore: new Date(NaN) },
    { validBefore: from },
    { validBefore: new Date(from.getTime() + 999) }, // inside one second: nothing left once rounded inwards
    { keyId: '' },
    { extensions: ['permit-pty', 'permit-pty'] },
    { serial: -1n },
    { serial: 2n ** 64n },
  ];
  for (const r of refusals) {
    await assert.rejects(signSshCertificate({ ...base, ...r }, ca.signer), { code: 'VALIDATION_FAILED' }, JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
  }
});
