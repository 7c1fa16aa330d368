/**
 * CVSS v3 base scores. Vectors with their scores as FIRST's specification documents them (v3.1
 * §6 examples and the NVD scores of well-known CVEs), and a property test that every score agrees
 * with FIRST's own calculator as csaf-validator-lib embeds it (mandatory test 6.1.9).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mandatoryTest_6_1_9 } from '@secvisogram/csaf-validator-lib/mandatoryTests.js';
import { cvssV3 } from './cvss-v3.ts';

describe('CVSS v3 base score', () => {
  it('scores known vectors', () => {
    const known: [string, number, string][] = [
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10, 'CRITICAL'], // CVE-2021-44228 (Log4Shell)
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8, 'CRITICAL'],
      ['CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 8.8, 'HIGH'],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 7.5, 'HIGH'], // CVE-2014-0160 (Heartbleed)
      ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N', 5.5, 'MEDIUM'],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1, 'MEDIUM'], // a reflected XSS
      ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.6, 'LOW'],
      ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:N', 0, 'NONE'],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H/E:P/RL:O/RC:C', 10, 'CRITICAL'],
    ];
    for (const [vector, score, severity] of known) assert.deepEqual([cvssV3(vector)?.baseScore, cvssV3(vector)?.baseSeverity], [score, severity], vector);
  });

  it('gives no score for what is not a CVSS v3 vector', () => {
    for (const bad of ['CVSS:3.1/AV:N', 'CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 'CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/XX:Y', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/', 'AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', '']) {
      assert.equal(cvssV3(bad), undefined, bad);
    }
  });

  it("agrees with FIRST's calculator on every base vector (csaf-validator-lib 6.1.9)", () => {
    const metric = (values: string) => fc.constantFrom(...values.split(''));
    const vector = fc
      .tuple(fc.constantFrom('3.0', '3.1'), metric('NALP'), metric('LH'), metric('NLH'), metric('NR'), metric('UC'), metric('NLH'), metric('NLH'), metric('NLH'))
      .map(([v, av, ac, pr, ui, s, c, i, a]) => `CVSS:${v}/AV:${av}/AC:${ac}/PR:${pr}/UI:${ui}/S:${s}/C:${c}/I:${i}/A:${a}`);
    fc.assert(
      fc.property(vector, (v) => {
        const cvss = cvssV3(v)!;
        const doc = { vulnerabilities: [{ scores: [{ products: ['p'], cvss_v3: cvss }] }] };
        const result = mandatoryTest_6_1_9(doc) as { isValid: boolean; errors: unknown[] };
        assert.ok(result.isValid, `${v} → ${cvss.baseScore} ${cvss.baseSeverity}: ${JSON.stringify(result.errors)}`);
      }),
      { seed: 20_250_313, numRuns: 2000 },
    );
  });
});
