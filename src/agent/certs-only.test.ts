import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { certificatesFromCertsOnly } from './certs-only.ts';

/** Two self-signed certificates and the certs-only PKCS#7 `openssl crl2pkcs7` makes of them. */
function opensslVectors(): { pems: string[]; p7Base64: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tp-agent-p7-'));
  try {
    const pems = ['a', 'b'].map((name) => {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${name}.key`), '-subj', `/CN=${name}`, '-days', '1', '-out', join(dir, `${name}.pem`)], { stdio: 'ignore' });
      return readFileSync(join(dir, `${name}.pem`), 'utf8');
    });
    execFileSync('openssl', ['crl2pkcs7', '-nocrl', '-certfile', join(dir, 'a.pem'), '-certfile', join(dir, 'b.pem'), '-outform', 'DER', '-out', join(dir, 'p7.der')]);
    return { pems, p7Base64: readFileSync(join(dir, 'p7.der')).toString('base64') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('reads a certs-only PKCS#7 made by openssl, certificates in order and byte for byte', () => {
  const { pems, p7Base64 } = opensslVectors();
  const read = certificatesFromCertsOnly(p7Base64.replace(/(.{64})/g, '$1\n'));
  assert.deepEqual(read.map((p) => p.replace(/\s+/g, '')), pems.map((p) => p.replace(/\s+/g, '')));
});

test('refuses what is not a certs-only SignedData with EST_ANSWER_MALFORMED', () => {
  const { p7Base64 } = opensslVectors();
  const der = Buffer.from(p7Base64, 'base64');
  const cases: [string, string][] = [
    ['not base64', '%%%'],
    ['not DER', Buffer.from('hello').toString('base64')],
    ['trailing bytes', Buffer.concat([der, Buffer.from([0])]).toString('base64')],
    ['a bare SEQUENCE', Buffer.from([0x30, 0x00]).toString('base64')],
    ['another content type (id-data)', Buffer.from('3011' + '06092a864886f70d010701' + 'a0040402' + '0000', 'hex').toString('base64')],
  ];
  for (const [what, input] of cases) {
    assert.throws(() => certificatesFromCertsOnly(input), (e: unknown) => (e as { code?: string }).code === 'EST_ANSWER_MALFORMED', what);
  }
});
