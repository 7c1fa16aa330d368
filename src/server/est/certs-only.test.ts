import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as pkijs from 'pkijs';
import { certsOnlyBase64 } from './certs-only.ts';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The same message built by pkijs from parsed certificates: the reference the encoding test compares with. */
function certsOnlyDer(certificates: Uint8Array[]): Uint8Array {
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: pkijs.id_ContentType_Data }),
    certificates: certificates.map((der) => pkijs.Certificate.fromBER(der)),
    signerInfos: [],
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: pkijs.id_ContentType_SignedData, content: signedData.toSchema(true) });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}

test('certs-only is byte for byte what pkijs builds, and openssl pkcs7 reads it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tp-certs-only-'));
  try {
    const certs: Uint8Array[] = [];
    for (const name of ['a', 'b']) {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${name}.key`), '-subj', `/CN=${name}`, '-days', '1', '-outform', 'DER', '-out', join(dir, `${name}.der`)], { stdio: 'ignore' });
      certs.push(new Uint8Array(readFileSync(join(dir, `${name}.der`))));
    }
    for (const set of [[certs[0]!], certs]) {
      const ours = Buffer.from(certsOnlyBase64(set), 'base64');
      assert.deepEqual(new Uint8Array(ours), certsOnlyDer(set));
      writeFileSync(join(dir, 'p7.der'), ours);
      const printed = execFileSync('openssl', ['pkcs7', '-inform', 'DER', '-in', join(dir, 'p7.der'), '-print_certs'], { encoding: 'utf8' });
      assert.equal(printed.match(/BEGIN CERTIFICATE/g)?.length, set.length);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
