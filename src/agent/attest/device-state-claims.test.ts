import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '../agent-error.ts';
import { parseDeviceStateClaims } from './device-state-claims.ts';

const hex = (n: number, c = 'ab') => c.repeat(n / 2);
const good = {
  version: '1.4.0',
  securityVersion: 3,
  firmwareDigest: `sha256:${hex(64)}`,
  configurationDigest: `sha384:${hex(96, 'cd')}`,
  bootMeasurements: [`sha256:${hex(64, '01')}`, `sha512:${hex(128, '02')}`],
};
const usage = (pattern: RegExp) => (e: unknown) =>
  e instanceof AgentError && e.kind === 'usage' && pattern.test(e.message);

describe('parseDeviceStateClaims (attest --claims FILE)', () => {
  it('reads the documented shape: digests as alg:hex, boot stages in order', () => {
    const claims = parseDeviceStateClaims(JSON.stringify(good));
    assert.equal(claims.version, '1.4.0');
    assert.equal(claims.securityVersion, 3);
    assert.deepEqual(claims.firmwareDigest, { alg: 'sha256', value: new Uint8Array(32).fill(0xab) });
    assert.equal(claims.configurationDigest.alg, 'sha384');
    assert.deepEqual(
      claims.bootMeasurements.map((m) => [m.alg, m.value.length, m.value[0]]),
      [
        ['sha256', 32, 0x01],
        ['sha512', 64, 0x02],
      ],
    );
  });

  it('refuses what is not of that shape, naming the field', () => {
    const bad = (o: unknown, pattern: RegExp) =>
      assert.throws(() => parseDeviceStateClaims(typeof o === 'string' ? o : JSON.stringify(o)), usage(pattern));
    bad('{', /not JSON/);
    bad([good], /not a JSON object/);
    bad({ ...good, firmwareDigests: [] }, /unknown field firmwareDigests/);
    bad({ ...good, version: '' }, /version/);
    bad({ ...good, securityVersion: -1 }, /securityVersion/);
    bad({ ...good, securityVersion: 1.5 }, /securityVersion/);
    bad({ ...good, firmwareDigest: hex(64) }, /firmwareDigest/);
    bad({ ...good, firmwareDigest: `sha256:${hex(62)}` }, /firmwareDigest .*length/);
    bad({ ...good, firmwareDigest: `sha256:${hex(64).toUpperCase()}` }, /firmwareDigest/);
    bad({ ...good, configurationDigest: `md5:${hex(32)}` }, /configurationDigest/);
    bad({ ...good, bootMeasurements: 'sha256:00' }, /bootMeasurements/);
    bad({ ...good, bootMeasurements: [good.firmwareDigest, 'sha256:00'] }, /bootMeasurements\[1\]/);
    bad(' '.repeat(64 * 1024 + 1), /larger than/);
  });
});
