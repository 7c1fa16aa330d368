/**
 * The bytes of the TPM's TCG chain indices (src/agent/attest/ek-certificate-chain.ts):
 * concatenated DER certificates in no order, several chains side by side, the unused end of an
 * index as 0x00 or 0xFF. Certificates made by openssl: a root, CAs under it, an EK certificate
 * under the lowest, and another vendor's chain beside them.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { chainFor, splitDerCertificates } from '../src/agent/attest/index.ts';
import { MAX_EK_INTERMEDIATES } from '../src/attestation/tpm/ek-certificate.ts';
import { Workdir } from './support/openssl.ts';

const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const b64 = (list: readonly Uint8Array[]) => list.map((c) => Buffer.from(c).toString('base64'));

describe("the EK certificate chain from the TPM's chain indices", () => {
  let work: Workdir;
  let serial = 1;
  /** `name`.pem/.key by openssl: self-signed when `issuer` is undefined; a CA unless `ca` is false. Its DER. */
  async function made(name: string, issuer: string | undefined, ca = true): Promise<Uint8Array> {
    await work.write(`${name}.ext`, ca ? 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' : 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyEncipherment\n');
    await work.opensslOk(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    const signer = issuer === undefined ? ['-key', `${name}.key`] : ['-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`];
    await work.opensslOk(['x509', '-req', '-in', `${name}.csr`, ...signer, '-set_serial', String(serial++), '-days', '3650', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
    return new Uint8Array(new X509Certificate(await work.read(`${name}.pem`)).raw);
  }

  let root: Uint8Array, upper: Uint8Array, lower: Uint8Array, ek: Uint8Array, otherRoot: Uint8Array, otherCa: Uint8Array;
  before(async () => {
    work = await Workdir.create('tp-ek-chain-');
    root = await made('root', undefined);
    upper = await made('upper', 'root');
    lower = await made('lower', 'upper');
    ek = await made('ek', 'lower', false);
    otherRoot = await made('other-root', undefined);
    otherCa = await made('other-ca', 'other-root');
  });
  after(() => work?.remove());

  it('splits concatenated certificates and stops at padding, garbage or a cut certificate', () => {
    assert.deepEqual(b64(splitDerCertificates(cat(upper, lower))), b64([upper, lower]));
    assert.deepEqual(b64(splitDerCertificates(cat(lower, new Uint8Array(64).fill(0xff)))), b64([lower]), '0xFF padding');
    assert.deepEqual(b64(splitDerCertificates(cat(lower, new Uint8Array(64)))), b64([lower]), '0x00 padding');
    assert.deepEqual(b64(splitDerCertificates(cat(lower, upper.subarray(0, upper.length - 1)))), b64([lower]), 'the cut one left out');
    assert.deepEqual(splitDerCertificates(new Uint8Array()), []);
    assert.deepEqual(b64(splitDerCertificates(cat(lower, Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01), upper))), b64([lower]), 'a SEQUENCE that is no certificate ends the reading');
  });

  it('gives the path from the EK certificate up, issuer by issuer, whatever the stored order; another chain and the root left out', () => {
    const stored = splitDerCertificates(cat(otherCa, root, upper, otherRoot, lower));
    assert.deepEqual(b64(chainFor(ek, stored)), b64([lower, upper]));
    assert.deepEqual(chainFor(ek, [otherCa, otherRoot]), [], 'nothing that issued it');
    assert.deepEqual(chainFor(Uint8Array.of(1, 2, 3), stored), [], 'an EK certificate the agent cannot read: the verifier says why');
  });

  it('stops at as many intermediates as the verifier takes', async () => {
    const cas: Uint8Array[] = [];
    let issuer = 'root';
    for (let i = 0; i < MAX_EK_INTERMEDIATES + 2; i++) {
      cas.push(await made(`ca-${i}`, issuer));
      issuer = `ca-${i}`;
    }
    const leaf = await made('deep-ek', issuer, false);
    assert.deepEqual(b64(chainFor(leaf, [...cas].reverse())), b64(cas.slice(-MAX_EK_INTERMEDIATES).reverse()));
  });

  it('any bytes after, or any byte changed: whole certificates out, never an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (noise, at, flip) => {
        assert.deepEqual(b64(splitDerCertificates(cat(lower, noise)).slice(0, 1)), b64([lower]));
        const mangled = cat(lower, upper);
        mangled[at % mangled.length]! ^= flip;
        for (const c of splitDerCertificates(mangled)) new X509Certificate(c);
        chainFor(ek, splitDerCertificates(noise));
        chainFor(ek, splitDerCertificates(mangled));
      }),
      { numRuns: 300 },
    );
  });
});
