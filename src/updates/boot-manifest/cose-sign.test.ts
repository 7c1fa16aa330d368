import { Tag } from 'cbor2';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { TrustplaneError } from '../../core/errors.ts';
import {
  encodeCoseSign,
  encodeCoseSign1,
  parseCoseSign,
  parseCoseSign1,
  protectedHeader,
  sig1Structure,
  sigStructure,
} from './cose-sign.ts';
import { encodeDeterministic } from './deterministic-cbor.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('COSE_Sign', () => {
  it('builds Sig_structure as RFC 9052 §4.4 lays it out: ["Signature", body_protected, sign_protected, h\'\', payload]', () => {
    const bytes = sigStructure(Uint8Array.of(0xa0), protectedHeader([[1, -19]]), Uint8Array.of(0x01, 0x02));
    // array(5), tstr(9) "Signature", bstr(1) a0, bstr(3) a1 01 32, bstr(0), bstr(2) 01 02
    assert.equal(
      hex(bytes),
      '85' + '69' + Buffer.from('Signature').toString('hex') + '41a0' + '43a10132' + '40' + '420102',
    );
  });

  it('writes tag 98 around [protected, {}, payload, [[protected, {}, signature]…]] and reads it back', () => {
    const bytes = encodeCoseSign(Uint8Array.of(0xa0), Uint8Array.of(0x07), [
      { protected: Uint8Array.of(0xa0), signature: Uint8Array.of(0xee) },
    ]);
    assert.equal(hex(bytes), 'd862' + '84' + '41a0' + 'a0' + '4107' + '81' + '83' + '41a0' + 'a0' + '41ee');
    const parsed = parseCoseSign(bytes);
    assert.deepEqual(parsed.payload, Uint8Array.of(0x07));
    assert.equal(parsed.signatures.length, 1);
    assert.deepEqual(parsed.signatures[0]?.signature, Uint8Array.of(0xee));
  });

  it('refuses a detached (nil) payload, an empty signature list and a wrong member type', () => {
    const variants = {
      detached: new Tag(98, [
        Uint8Array.of(0xa0),
        new Map(),
        null,
        [[Uint8Array.of(0xa0), new Map(), Uint8Array.of(1)]],
      ]),
      'no signatures': new Tag(98, [Uint8Array.of(0xa0), new Map(), Uint8Array.of(1), []]),
      'signature as text': new Tag(98, [
        Uint8Array.of(0xa0),
        new Map(),
        Uint8Array.of(1),
        [[Uint8Array.of(0xa0), new Map(), 'sig']],
      ]),
      'three members': new Tag(98, [Uint8Array.of(0xa0), new Map(), Uint8Array.of(1)]),
    };
    for (const [what, value] of Object.entries(variants)) {
      assert.throws(
        () => parseCoseSign(encodeDeterministic(value)),
        (e) => e instanceof TrustplaneError && e.code === 'MANIFEST_MALFORMED',
        what,
      );
    }
  });
});

describe('COSE_Sign1', () => {
  // RFC 9052 Appendix C.2.1 (single ECDSA signature), signed with the examples' P-256 key "11".
  const rfcKey = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: Buffer.from('bac5b11cad8f99f9c72b05cf4b9e26d244dc189f745228255a219a86d6a09eff', 'hex').toString('base64url'),
      y: Buffer.from('20138bf82dc1b6d562be0fa54ab7804a3a64b6d72ccfed6b6fb6ed28bbfc117e', 'hex').toString('base64url'),
    },
    format: 'jwk',
  });
  const rfcSignature =
    '8eb33e4ca31d1c465ab05aac34cc6b23d58fef5c083106c4d25a91aef0b0117e' +
    '2af9a291aa32e14ab834dc56ed2a223444547e01f11d3b0916e5a4c345cacb36';
  const rfcMessage =
    'd284' + '43a10126' + 'a104423131' + '54' + Buffer.from('This is the content.').toString('hex') + '5840' + rfcSignature;

  it('reads the RFC 9052 C.2.1 message, and its signature verifies over our Sig_structure ("Signature1")', () => {
    const parsed = parseCoseSign1(Buffer.from(rfcMessage, 'hex'), 'ATTESTATION_EVIDENCE_MALFORMED');
    assert.equal(hex(parsed.protected), 'a10126');
    assert.deepEqual(parsed.unprotected.get(4), Buffer.from('11'));
    const tbs = sig1Structure(parsed.protected, parsed.payload);
    assert.equal(verify('sha256', tbs, { key: rfcKey, dsaEncoding: 'ieee-p1363' }, parsed.signature), true);
  });

  it('writes tag 18 around [protected, {}, payload, signature] and reads it back', () => {
    const bytes = encodeCoseSign1(Uint8Array.of(0xa0), Uint8Array.of(0x07), Uint8Array.of(0xee));
    assert.equal(hex(bytes), 'd2' + '84' + '41a0' + 'a0' + '4107' + '41ee');
    const parsed = parseCoseSign1(bytes, 'ATTESTATION_EVIDENCE_MALFORMED');
    assert.deepEqual([parsed.payload, parsed.signature], [Uint8Array.of(0x07), Uint8Array.of(0xee)]);
  });

  it("refuses a COSE_Sign, a detached payload and a text signature with the caller's code", () => {
    const variants = {
      'COSE_Sign tag': new Tag(98, [Uint8Array.of(0xa0), new Map(), Uint8Array.of(1), Uint8Array.of(1)]),
      detached: new Tag(18, [Uint8Array.of(0xa0), new Map(), null, Uint8Array.of(1)]),
      'signature as text': new Tag(18, [Uint8Array.of(0xa0), new Map(), Uint8Array.of(1), 'sig']),
    };
    for (const [what, value] of Object.entries(variants)) {
      assert.throws(
        () => parseCoseSign1(encodeDeterministic(value), 'ATTESTATION_EVIDENCE_MALFORMED'),
        (e) => e instanceof TrustplaneError && e.code === 'ATTESTATION_EVIDENCE_MALFORMED',
        what,
      );
    }
  });
});
