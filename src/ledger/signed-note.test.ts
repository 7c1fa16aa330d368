import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { signerFromKey } from '../pki/testing/signer-from-key.ts';
import { ed25519PublicKeyFromSpki, formatVerifierKey, parseVerifierKey } from './note-key.ts';
import { formatNote, parseNote, signNote, verifyNote } from './signed-note.ts';

// Known answers from golang.org/x/mod sumdb/note/note_test.go (TestSign, TestOpen, TestNewVerifier):
// Ed25519 is deterministic (RFC 8032), so signing the same text with the same key must give these bytes.
const peterSkey = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const peterVkey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const enochVkey = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const peterSig =
  '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const enochSig =
  '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

/** Go's private key string is base64(0x01 || 32-byte seed); RFC 8410 §7 wraps a seed in this PKCS#8 header. */
function peterSigner() {
  const seed = Buffer.from(peterSkey.split('+').slice(4).join('+'), 'base64').subarray(1); // the base64 holds a '+'
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  return signerFromKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }), 'peter');
}

const malformed = { code: 'NOTE_MALFORMED' };
const invalid = { code: 'NOTE_SIGNATURE_INVALID' };

test('signing reproduces the Go reference note byte for byte, and its verifier key', async () => {
  const signer = peterSigner();
  assert.equal(await signNote(text, signer, 'PeterNeumann'), `${text}\n${peterSig}`);
  assert.equal(formatVerifierKey('PeterNeumann', ed25519PublicKeyFromSpki(signer.spki)), peterVkey);
  const key = parseVerifierKey(peterVkey);
  assert.equal(key.name, 'PeterNeumann');
  assert.equal(key.keyId, 0xc74f20a3);
});

test('the Go reference notes verify; unknown signatures are ignored', () => {
  const both = `${text}\n${peterSig}${enochSig}`;
  assert.equal(verifyNote(both, peterVkey).text, text);
  assert.equal(verifyNote(both, enochVkey).text, text);
  assert.equal(verifyNote(Buffer.from(both), parseVerifierKey(enochVkey)).signatures.length, 2);
  assert.throws(() => verifyNote(`${text}\n${enochSig}`, peterVkey), invalid); // no signature by Peter at all
});

test("a bad signature by the expected key rejects the note (Go's 'invalid signature' case)", () => {
  const longer = `${text}\n${peterSig.slice(0, 60)}ABCD${peterSig.slice(60)}`;
  assert.throws(() => verifyNote(longer, peterVkey), invalid);
  assert.throws(
    () => verifyNote(`${text}\n${peterSig}${peterSig.replace('SffcvIAQ', 'SffcvIAR')}`, peterVkey),
    invalid,
  );
});

test("Go's malformed notes are malformed", () => {
  const bad = [
    text,
    `${text}\n`,
    `${text}\n${peterSig.slice(0, -1)}`,
    `\x01${text}\n${peterSig}`,
    `${text}\n\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
    `${text}\n${peterSig}Unexpected line.\n`,
    `${text}\n${peterSig.repeat(101)}`,
  ];
  for (const msg of bad) assert.throws(() => verifyNote(msg, peterVkey), malformed, JSON.stringify(msg));
  assert.throws(() => parseNote(Buffer.concat([Buffer.from([0xff]), Buffer.from(`${text}\n${peterSig}`)])), malformed); // not UTF-8
  assert.throws(() => parseNote(`${text}\n${peterSig.replace('=\n', '\n')}`), malformed); // unpadded base64
  assert.throws(() => parseNote(`${text}\n${peterSig.replace('AM=', 'AN=')}`), malformed); // non-canonical pad bits
  assert.throws(() => parseNote(`${text}\n${peterSig.replace('\u2014', '-')}`), malformed);
});

test('round trip with a fresh key; tampering with the text or the signature fails; another key fails', async () => {
  const signer = signerFromKey(generateKeyPairSync('ed25519').privateKey);
  const vkey = formatVerifierKey('log.example/ledger', ed25519PublicKeyFromSpki(signer.spki));
  const body = 'log.example/ledger\n3\nAAAA\n';
  const note = await signNote(body, signer, 'log.example/ledger');
  assert.equal(formatNote(parseNote(note)), note);
  assert.equal(verifyNote(note, vkey).text, body);

  const bytes = Buffer.from(note);
  const sigStart = bytes.indexOf(' ', bytes.lastIndexOf('\u2014')) + 1;
  for (let i = 0; i < bytes.length - 1; i++) {
    const tampered = Buffer.from(bytes);
    tampered[i] = i < sigStart ? tampered[i]! ^ 0x01 : tampered[i] === 0x41 ? 0x42 : 0x41; // keep the base64 alphabet
    assert.throws(
      () => verifyNote(tampered, vkey),
      (e: any) => ['NOTE_MALFORMED', 'NOTE_SIGNATURE_INVALID'].includes(e.code),
      `byte ${i}`,
    );
  }

  const other = signerFromKey(generateKeyPairSync('ed25519').privateKey);
  const otherVkey = formatVerifierKey('log.example/ledger', ed25519PublicKeyFromSpki(other.spki));
  assert.throws(() => verifyNote(note, otherVkey), invalid); // same name, other key ID: ignored, so nothing verifies
  const forged = await signNote(body, other, 'log.example/ledger');
  assert.throws(() => verifyNote(forged, vkey), invalid);

  const ecdsa = signerFromKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  await assert.rejects(signNote(body, ecdsa, 'log.example/ledger'), { code: 'INTERNAL' });
  await assert.rejects(signNote('no final newline', signer, 'log.example/ledger'), malformed);
  await assert.rejects(signNote(body, signer, 'has space'), malformed);
});

test("verifier keys: Go's manglings are refused", () => {
  const bad = [
    'PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==', // wrong length key
    'PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // unknown algorithm
    'PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // key ID mismatch
    'PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // not lower-case hex
    'Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
  ];
  // Every proper substring and every single-byte change of the good key, as Go's TestNewVerifier.
  for (let i = 0; i <= peterVkey.length; i++) {
    for (let j = i + 1; j <= peterVkey.length; j++)
      if (i !== 0 || j !== peterVkey.length) bad.push(peterVkey.slice(i, j));
  }
  for (let i = 0; i < peterVkey.length; i++)
    bad.push(peterVkey.slice(0, i) + String.fromCharCode(peterVkey.charCodeAt(i) + 1) + peterVkey.slice(i + 1));
  for (const k of bad) assert.throws(() => parseVerifierKey(k), { code: 'NOTE_KEY_MALFORMED' }, k);
});
