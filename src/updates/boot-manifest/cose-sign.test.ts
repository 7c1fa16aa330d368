import { Tag } from 'cbor2';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrustplaneError } from '../../core/errors.ts';
import { encodeCoseSign, parseCoseSign, protectedHeader, sigStructure } from './cose-sign.ts';
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
