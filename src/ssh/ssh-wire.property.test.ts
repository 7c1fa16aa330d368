// DESIGN.md rule 5: public keys, certificates and KRLs reach trustplane and its agent from the
// network. Arbitrary bytes, and valid ones edited, end in a TrustplaneError and nothing else;
// what we write reads back as it was written.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { TrustplaneError } from '../core/errors.ts';
import { signerFromKey } from '../pki/testing/signer-from-key.ts';
import {
  encodeKrl,
  formatSshCertificate,
  formatSshPublicKey,
  krlRevokes,
  parseKrl,
  parseSshCertificate,
  parseSshCertificateBlob,
  parseSshPublicKey,
  parseSshPublicKeyBlob,
  signSshCertificate,
  sshPublicKeyFromKeyObject,
  sshPublicKeyFromSpki,
  verifySshCertificate,
  type SshCertificateFields,
} from './index.ts';

const ca = signerFromKey(generateKeyPairSync('ed25519').privateKey, 'ca');
const caKey = sshPublicKeyFromSpki(ca.spki);
const subjects = [
  sshPublicKeyFromKeyObject(generateKeyPairSync('ed25519').publicKey),
  sshPublicKeyFromKeyObject(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey),
  sshPublicKeyFromKeyObject(generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey),
  sshPublicKeyFromKeyObject(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey),
];

function onlyTrustplaneErrors(parse: () => unknown): void {
  try {
    parse();
  } catch (e) {
    assert.ok(e instanceof TrustplaneError, `threw ${String(e)}`);
    assert.ok(['SSH_PUBLIC_KEY_INVALID', 'SSH_CERTIFICATE_MALFORMED', 'SSH_KRL_MALFORMED'].includes(e.code), e.code);
  }
}

type Edit = { at: number; byte: number } | { at: number; cut: true } | { at: number; insert: Uint8Array };
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ at: fc.nat(), cut: fc.constant(true as const) }),
  fc.record({ at: fc.nat(), insert: fc.uint8Array({ minLength: 1, maxLength: 9 }) }),
);
function apply(bytes: Uint8Array, edits: Edit[]): Uint8Array {
  let out = bytes;
  for (const e of edits) {
    const at = e.at % (out.length + 1);
    if ('byte' in e) {
      out = new Uint8Array(out);
      if (at < out.length) out[at] = e.byte;
    } else if ('cut' in e) out = out.subarray(0, at);
    else out = Uint8Array.of(...out.subarray(0, at), ...e.insert, ...out.subarray(at));
  }
  return out;
}

const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => /^[^\s\p{Cc}]+$/u.test(s));
const value = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes('\0'));
const template: fc.Arbitrary<SshCertificateFields> = fc
  .record({
    kind: fc.constantFrom('user' as const, 'host' as const),
    publicKey: fc.constantFrom(...subjects),
    serial: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    keyId: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.includes('\0')),
    principals: fc.array(text, { minLength: 1, maxLength: 8 }),
    validAfterSeconds: fc.integer({ min: 0, max: 2 ** 42 }),
    lengthSeconds: fc.integer({ min: 1, max: 2 ** 30 }),
    criticalOptions: fc.dictionary(text, value, { maxKeys: 4 }),
    extensions: fc.uniqueArray(text, { maxLength: 5 }),
  })
  .map(({ validAfterSeconds, lengthSeconds, ...t }) => ({
    ...t,
    validAfter: new Date(validAfterSeconds * 1000),
    validBefore: new Date((validAfterSeconds + lengthSeconds) * 1000),
  }));

describe('SSH parsers on hostile input', () => {
  it('arbitrary bytes and lines never throw anything but the SSH codes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.string({ maxLength: 200 }), (bytes, line) => {
        onlyTrustplaneErrors(() => parseSshPublicKeyBlob(bytes));
        onlyTrustplaneErrors(() => parseSshCertificateBlob(bytes));
        onlyTrustplaneErrors(() => parseKrl(bytes));
        onlyTrustplaneErrors(() => parseSshPublicKey(line));
        onlyTrustplaneErrors(() => parseSshCertificate(line));
        onlyTrustplaneErrors(() => parseSshCertificate(`ssh-ed25519-cert-v01@openssh.com ${Buffer.from(bytes).toString('base64')}`));
      }),
      { numRuns: 3000 },
    );
  });

  it('edited certificates, keys and KRLs are refused cleanly or still parse', async () => {
    const cert = parseSshCertificate(
      await signSshCertificate(
        { kind: 'user', publicKey: subjects[1]!, serial: 7n, keyId: 'a:1', principals: ['p'], validAfter: new Date(1000), validBefore: new Date(9000), criticalOptions: { 'force-command': 'true' }, extensions: ['permit-pty'] },
        ca,
      ),
    );
    const krl = encodeKrl({ version: 1n, generatedAt: new Date(), caKey, serials: [1n, 5n, ...Array.from({ length: 300 }, (_, i) => BigInt(100 + 3 * i)), 5000n, 5001n] });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        onlyTrustplaneErrors(() => parseSshCertificateBlob(apply(cert.blob, edits)));
        onlyTrustplaneErrors(() => parseSshPublicKeyBlob(apply(subjects[0]!.blob, edits)));
        onlyTrustplaneErrors(() => parseSshPublicKeyBlob(apply(subjects[3]!.blob, edits)));
        onlyTrustplaneErrors(() => parseKrl(apply(krl, edits)));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('SSH round trips', () => {
  it('a signed certificate formats and parses back to what was signed, and verifies', async () => {
    await fc.assert(
      fc.asyncProperty(template, async (t) => {
        const blob = await signSshCertificate(t, ca);
        const back = parseSshCertificate(formatSshCertificate(blob, 'c'));
        assert.deepEqual(back, parseSshCertificate(blob));
        const byteOrder = (names: string[]): string[] => [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        assert.deepEqual(back.extensions, byteOrder([...(t.extensions ?? [])]));
        assert.deepEqual(Object.keys(back.criticalOptions ?? {}), byteOrder(Object.keys(t.criticalOptions ?? {})));
        assert.deepEqual(back.criticalOptions, { ...t.criticalOptions });
        assert.deepEqual(
          { kind: back.kind, key: back.publicKey.blob, serial: back.serial, keyId: back.keyId, principals: back.principals, validAfter: back.validAfter, validBefore: back.validBefore },
          { kind: t.kind, key: t.publicKey.blob, serial: t.serial, keyId: t.keyId, principals: t.principals, validAfter: t.validAfter, validBefore: t.validBefore },
        );
        assert.ok(verifySshCertificate(back));
        const tampered = Buffer.from(back.signedBytes);
        tampered[tampered.length - 40]! ^= 1;
        assert.ok(!verifySshCertificate({ ...back, signedBytes: tampered }));
      }),
      { numRuns: 200 },
    );
  });

  it('public keys format and parse back', () => {
    for (const key of subjects) assert.deepEqual(parseSshPublicKey(formatSshPublicKey(key, 'x y')), { ...key, comment: 'x y' });
    // Runs of blanks inside a long comment: once a quadratic regular expression (a ReDoS), now one pass.
    const comment = `a${' '.repeat(60_000)}b`;
    assert.equal(parseSshPublicKey(`${formatSshPublicKey(subjects[0]!)} ${comment} \t\r\n`).comment, comment);
  });

  it('a KRL revokes exactly the serials it was built from', async () => {
    const serialSets = fc.oneof(
      fc.uniqueArray(fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }), { maxLength: 50 }),
      fc.uniqueArray(fc.bigInt({ min: 1n, max: 3000n }), { maxLength: 800 }),
      fc.tuple(fc.bigInt({ min: 1n, max: 1000n }), fc.integer({ min: 1, max: 2000 })).map(([lo, n]) => Array.from({ length: n }, (_, i) => lo + BigInt(i))),
    );
    const probe = parseSshCertificate(await signSshCertificate({ kind: 'user', publicKey: subjects[0]!, serial: 1n, keyId: 'k', principals: ['p'], validAfter: new Date(1000), validBefore: new Date(2000) }, ca));
    fc.assert(
      fc.property(serialSets, fc.array(fc.bigInt({ min: 1n, max: 4000n }), { maxLength: 20 }), (serials, probes) => {
        const parsed = parseKrl(encodeKrl({ version: 3n, generatedAt: new Date(4000), caKey, serials }));
        const set = new Set(serials);
        for (const s of [...serials.slice(0, 30), ...probes]) assert.equal(krlRevokes(parsed, { ...probe, serial: s }), set.has(s), `serial ${s}`);
        const count = (parsed.certificates[0]?.serials ?? []).reduce((n, r) => n + (r.max - r.min + 1n), 0n);
        assert.equal(count, BigInt(set.size));
      }),
      { numRuns: 300 },
    );
  });
});
