import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CRLReason, Extension, RevokedCertificate, Time, id_ce_cRLReasons } from '@peculiar/asn1-x509';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { revocationReasonCode, revocationReasons, type RevocationReason } from '../../core/revocation-reason.ts';
import { crlEntriesDer, crlEntryDer, type CrlEntry } from './crl-entry.ts';

/** The same entry through @peculiar/asn1-x509, the library the rest of the CRL is built with. */
function libraryEntry(serial: Uint8Array, revokedAt: Date, reason: RevocationReason): Uint8Array {
  const rc = new RevokedCertificate({ userCertificate: serial.slice().buffer, revocationDate: new Time(revokedAt) });
  if (reason !== 'unspecified')
    rc.crlEntryExtensions = [new Extension({ extnID: id_ce_cRLReasons, critical: false, extnValue: new OctetString(AsnConvert.serialize(new CRLReason(revocationReasonCode(reason)))) })];
  return new Uint8Array(AsnConvert.serialize(rc));
}

/** The DER INTEGER content of an unsigned magnitude: a 00 pad only before a set top bit. */
function integerContent(magnitude: Uint8Array): Uint8Array {
  return (magnitude[0] ?? 0) & 0x80 ? Uint8Array.of(0, ...magnitude) : magnitude;
}

const reasons = Object.keys(revocationReasons) as RevocationReason[];

describe('crlEntryDer', () => {
  it('is byte-equal to the ASN.1 library for any serial, time (UTCTime and GeneralizedTime) and reason', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 19 }).filter((b) => b[0] !== 0),
        fc.date({ min: new Date('1950-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.constantFrom(...reasons),
        fc.nat(4),
        (magnitude, revokedAt, reason, zeroPad) => {
          // The store keeps serials zero-padded (32 hex digits): leading zero octets must go.
          const serialHex = '00'.repeat(zeroPad) + Buffer.from(magnitude).toString('hex');
          const ours = crlEntryDer({ serialHex, revokedAt, reason });
          assert.deepEqual(Buffer.from(ours), Buffer.from(libraryEntry(integerContent(magnitude), revokedAt, reason)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('crlEntriesDer writes a page byte-equal to the entries one by one', () => {
    const entry = fc.record({
      serialHex: fc.uint8Array({ minLength: 1, maxLength: 20 }).filter((b) => b[0] !== 0).map((b) => Buffer.from(b).toString('hex').padStart(32, '0')),
      revokedAt: fc.date({ min: new Date('1950-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
      reason: fc.constantFrom(...reasons),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 50 }), (entries: CrlEntry[]) => {
        assert.deepEqual(crlEntriesDer(entries), Buffer.concat(entries.map(crlEntryDer)));
      }),
      { numRuns: 500 },
    );
  });

  it('drops fractions of a second and leaves the reason out for unspecified (RFC 5280 §5.3.1)', () => {
    const der = crlEntryDer({ serialHex: '000000000000000000000000000000ff', revokedAt: new Date('2026-01-02T03:04:05.999Z'), reason: 'unspecified' });
    // SEQUENCE { INTEGER 00 ff, UTCTime 260102030405Z }
    assert.equal(Buffer.from(der).toString('hex'), '3013' + '020200ff' + '170d' + Buffer.from('260102030405Z').toString('hex'));
  });
});
