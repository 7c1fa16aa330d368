// The vulnerability bench's tables (markdown, for docs/benchmarks.md).
import { mib } from './memory-peak.ts';
import type { Phase, VulnsResult } from './vulns.ts';
import type { MatchingFloors } from './vulns-floors.ts';

const n = (x: number): string => Math.round(x).toLocaleString('en');
const s = (seconds: number): string => seconds.toFixed(seconds < 10 ? 2 : 1);

function table(header: string[], rows: string[][]): void {
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map((_, i) => (i === 0 ? ':--' : '--:')).join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

export function printVulnsTables(results: VulnsResult[]): void {
  for (const r of results) {
    const z = r.sizes;
    console.log(`\nVulnerability matching on ${r.store}: ${n(z.advisories)} OSV advisories, ${n(z.releases)} releases × ${n(z.components)} components, ${n(z.devices)} devices (${new Date().toISOString().slice(0, 10)})\n`);
    matchingTable(r);
    const f = r.importFloors;
    console.log(
      `\nimport: ${n(f.candidates)} candidate pairs (affected entry × release component sharing a purl key), ${n(f.decisions)} distinct decisions, ${n(f.compares)} library compares; ` +
        `register ${n(r.imported.registerRows)} rows, ${n(r.imported.advisoriesMatched)} of ${n(z.advisories)} advisories matching a release, vulnerabilities per release min/median/max ${r.imported.perRelease.join(' / ')}. ` +
        `New release: ${n(r.indexFloors.candidates / r.newReleases)} candidate pairs and ${r.indexed.meanAdded.toFixed(0)} register rows each on average. ` +
        `Seeding with SQL (not measured): ${s(r.seedSeconds)} s. getrusage maxRSS of the bench process so far: ${mib(r.maxRss)} MiB. 1-minute load average ${r.load[0].toFixed(1)} before the import, ${r.load[1].toFixed(1)} after the device lists.`,
    );
    console.log(`\nAffected devices of one product (${r.store}; affectedDevices, pages of 100, the deep page from the middle of the list)\n`);
    table(
      ['releases (register rows)', 'devices listed', 'first page p50 / p99 ms', 'deep page p50 / p99 ms', 'rows/s (first page, p50)', 'count(*) p50 / p99 ms', 'devices counted/s', 'first page ÷ count(*)', 'rounds'],
      r.devices.map((d) => [
        `${d.releases} (${d.registerRows})`,
        n(d.devices),
        `${d.first.p50Ms.toFixed(1)} / ${d.first.p99Ms.toFixed(1)}`,
        `${d.deep.p50Ms.toFixed(1)} / ${d.deep.p99Ms.toFixed(1)}`,
        n(100 / (d.first.p50Ms / 1000)),
        `${d.countMs.p50Ms.toFixed(1)} / ${d.countMs.p99Ms.toFixed(1)}`,
        n(d.devices / (d.countMs.p50Ms / 1000)),
        (d.first.p50Ms / d.countMs.p50Ms).toFixed(2),
        String(d.samples),
      ]),
    );
  }
}

function matchingTable(r: VulnsResult): void {
  const rows: string[][] = [];
  const measured = (what: string, p: Phase, floors: MatchingFloors): string[] => {
    const lib = floors.librarySeconds;
    return [
      what,
      s(p.seconds),
      `${p.p50Ms.toFixed(0)} / ${p.p99Ms.toFixed(0)}`,
      p.pgCpuSeconds === undefined ? s(p.cpuSeconds) : `${s(p.cpuSeconds)} + PG ${s(p.pgCpuSeconds)}`,
      `${mib(p.rssStart)} → ${mib(p.rssPeak)}${p.pgBackendPeak === undefined ? '' : ` (PG backend ${mib(p.pgBackendPeak)})`}`,
      n(floors.candidates / p.seconds),
      (lib / p.seconds).toFixed(4),
      (floors.candidatesSeconds / p.seconds).toFixed(2),
    ];
  };
  const peer = (what: string, seconds: number, floors: MatchingFloors): string[] => [what, s(seconds), '', '', '', n(floors.candidates / seconds), (floors.librarySeconds / seconds).toFixed(4), ''];
  const f = r.importFloors;
  const batches = Math.ceil(r.sizes.advisories / 500);
  rows.push(measured(`**import** ${n(r.sizes.advisories)} advisories, ${batches} batches of 500 (importAdvisories)`, r.imported, f));
  rows.push(peer(`its join as plain SQL, count(*) (${batches} scopes)`, f.countSeconds, f));
  rows.push(peer('its join read into Node (matchCandidates)', f.candidatesSeconds, f));
  rows.push(peer('decideMatches in memory', f.decideSeconds, f));
  rows.push(peer(`version libraries alone (${n(f.decisions)} decisions)`, f.librarySeconds, f));
  rows.push([`OSV parse and check alone (parseOsvDocument × ${n(r.sizes.advisories)})`, s(r.parseSeconds), '', '', '', '', '', '']);
  const g = r.indexFloors;
  rows.push(measured(`**new release** of ${n(r.sizes.components)} components × ${r.newReleases} (sbomComponents + indexRelease; extraction p50 ${r.indexed.extractP50Ms.toFixed(0)} ms)`, r.indexed, g));
  rows.push(peer('its join as plain SQL, count(*)', g.countSeconds, g));
  rows.push(peer('its join read into Node (matchCandidates)', g.candidatesSeconds, g));
  rows.push(peer('decideMatches in memory', g.decideSeconds, g));
  rows.push(peer(`version libraries alone (${n(g.decisions)} decisions)`, g.librarySeconds, g));
  table(['step', 'wall s', 'p50 / p99 ms per batch or release', 'CPU s: Node (+ PG cluster)', 'RSS MiB: start → peak', 'candidate pairs/s', '× libraries', '× join read'], rows);
}
