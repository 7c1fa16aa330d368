import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import { AsnConvert } from '@peculiar/asn1-schema';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { systemRandom } from '../../core/random.ts';
import type { IdentityContext } from '../identity-context.ts';
import type { CaRecord } from '../records.types.ts';
import type { CertificateRevocationState, RevocationStore } from '../revocation-store.types.ts';
import { makeOpensslCa, type OpensslCa } from '../testing/openssl-ca.ts';
import { OcspService } from './ocsp-service.ts';

// The race a pre-produced answer must survive: an answer begun from the old state while a change
// commits is served to its own request, but a request after the commit neither joins it nor finds
// it kept. The store is an in-memory stand-in whose status read can be held open.
const SERIAL = '8f01'.padStart(32, '0');

function statusOf(der: Uint8Array): 'good' | 'revoked' | 'unknown' {
  const basic = AsnConvert.parse(AsnConvert.parse(der, OCSPResponse).responseBytes!.response.buffer, BasicOCSPResponse);
  const s = basic.tbsResponseData.responses[0]!.certStatus;
  return s.good !== undefined ? 'good' : s.revoked ? 'revoked' : 'unknown';
}

describe('OcspService across a status change', () => {
  let ca: OpensslCa;
  let request: Uint8Array;
  before(() => {
    ca = makeOpensslCa('ecdsa-p256');
    ca.issueLeaf('leaf', '8f01');
    ca.openssl(['ocsp', '-issuer', 'ca.pem', '-cert', 'leaf.pem', '-no_nonce', '-reqout', 'req.der']);
    request = ca.readFile('req.der');
  });
  after(() => ca.remove());

  function setUp(): { service: OcspService; state: { now: CertificateRevocationState }; hold: () => () => void } {
    const caRecord = { id: 'ca_1', kind: 'root', keyId: 'key_1', certificate: ca.cert.der } as CaRecord;
    const ctx = {
      store: { findCa: (id: string) => Promise.resolve(id === 'ca_1' ? caRecord : undefined), findCurrentOcspResponder: () => Promise.resolve(undefined) },
      keys: { signer: () => Promise.resolve(ca.cert.signer) },
      clock: new FakeClock(new Date()),
      random: systemRandom,
    } as unknown as IdentityContext;
    const state = { now: { status: 'good', revokedAt: null, reason: null, statusXid: null } as CertificateRevocationState };
    let gate: Promise<void> | undefined;
    const store = {
      // reads the state when asked, answers when the gate opens: a read that began before a commit
      revocationState: async (_caId: string, serial: string) => {
        const seen = serial === SERIAL ? { ...state.now } : undefined;
        await gate;
        return seen;
      },
      findOcspResponse: () => Promise.resolve(undefined),
      saveOcspResponse: () => Promise.resolve(),
    } as unknown as RevocationStore;
    const service = new OcspService(ctx, store, { validitySeconds: 3600, cacheEntries: 100 });
    return {
      service,
      state,
      hold: () => {
        let open!: () => void;
        gate = new Promise<void>((resolve) => (open = resolve));
        return () => {
          gate = undefined;
          open();
        };
      },
    };
  }

  it('an answer begun before a revocation is neither joined nor kept by requests after it', async () => {
    const { service, state, hold } = setUp();
    const release = hold();
    const early = service.respond('ca_1', request); // reads "good", held open
    await new Promise((r) => setImmediate(r));
    // the revocation: forgotten before the commit, settled after it
    service.changing([SERIAL]);
    state.now = { status: 'revoked', revokedAt: new Date(), reason: 'keyCompromise', statusXid: '9' };
    service.settled([SERIAL], true);
    const late = service.respond('ca_1', request);
    release();
    assert.equal(statusOf((await early).der), 'good', 'the request before the commit may say good');
    assert.equal(statusOf((await late).der), 'revoked', 'the request after it: revoked, not the early answer');
    assert.equal(statusOf((await service.respond('ca_1', request)).der), 'revoked', 'and the early answer was not kept');
  });

  it('a change while an answer is being made keeps it from memory; the next request makes it from the new state', async () => {
    const { service, state, hold } = setUp();
    const release = hold();
    const early = service.respond('ca_1', request);
    await new Promise((r) => setImmediate(r));
    service.changing([SERIAL]);
    state.now = { status: 'hold', revokedAt: new Date(), reason: 'certificateHold', statusXid: '10' };
    service.settled([SERIAL], true);
    release();
    assert.equal(statusOf((await early).der), 'good');
    const before = service.counters.produced;
    assert.equal(statusOf((await service.respond('ca_1', request)).der), 'revoked');
    assert.equal(service.counters.produced, before + 1, 'made again, not served from memory');
  });
});
