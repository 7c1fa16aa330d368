/** CSAF 2.0 §5.1 file names (the standard's own examples) and the §7.1 directory files. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changesCsv, csafFileName, csafPath, indexTxt, sha256File, trackingIdFor } from './provider-layout.ts';

describe('CSAF provider layout', () => {
  it('names files as §5.1 says (its examples 47)', () => {
    assert.equal(csafFileName('cisco-sa-20190513-secureboot'), 'cisco-sa-20190513-secureboot.json');
    assert.equal(csafFileName('Example Company - 2019-YH3234'), 'example_company_-_2019-yh3234.json');
    assert.equal(csafFileName('RHBA-2019:0024'), 'rhba-2019_0024.json');
    assert.equal(csafFileName('2022_#01-A'), '2022_01-a.json');
    assert.equal(csafFileName(trackingIdFor('GW.1', 'csaf_vex', 'GHSA-x:1+2')), 'gw_1-vex-ghsa-x_1+2.json');
    assert.equal(trackingIdFor('GW-1', 'csaf_security_advisory', undefined), 'GW-1-SA');
  });

  it('keeps a document in the folder of its initial release year', () => {
    assert.equal(csafPath(new Date('2025-12-31T23:59:59.999Z'), 'a.json'), '2025/a.json');
    assert.equal(csafPath(new Date('2026-01-01T00:00:00Z'), 'a.json'), '2026/a.json');
  });

  it('writes index.txt sorted, changes.csv latest first without a heading (§7.1.12, §7.1.13), hash files (§7.1.18)', () => {
    const files = [
      { path: '2025/b.json', currentReleaseDate: new Date('2026-02-01T00:00:00Z') },
      { path: '2026/a.json', currentReleaseDate: new Date('2026-03-01T00:00:00Z') },
      { path: '2025/a.json', currentReleaseDate: new Date('2026-02-01T00:00:00Z') },
    ];
    assert.equal(indexTxt(files), '2025/a.json\n2025/b.json\n2026/a.json\n');
    assert.equal(changesCsv(files), '"2026/a.json","2026-03-01T00:00:00.000Z"\n"2025/a.json","2026-02-01T00:00:00.000Z"\n"2025/b.json","2026-02-01T00:00:00.000Z"\n');
    assert.equal(indexTxt([]), '');
    assert.equal(sha256File('ab'.repeat(32), 'a.json'), `${'ab'.repeat(32)}  a.json\n`);
  });
});
