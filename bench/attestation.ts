// Remote attestation (issue 15): evidence verified per second next to the raw verify rate of the
// key's algorithm (attestation-evidence.ts), and the challenge–quote–result round trip of a fleet
// of agents at once against the real server, next to its TLS floor (attestation-fleet.ts).
// Performance is printed, never asserted: see docs/benchmarks.md.
import { loadavg } from 'node:os';
import { measureEvidenceRates } from './attestation-evidence.ts';
import { runAttestationFleet, type AttestationFleetRun } from './attestation-fleet.ts';
import type { BenchDatabase } from './fixtures.ts';

export interface AttestationBenchOptions {
  agents: number;
  rounds: number;
  /** seconds per rate measurement */
  seconds: number;
  /** releases the appraisal searches for the running firmware */
  releases: number;
  say: (s: string) => void;
  stores: (<T>(run: (db: BenchDatabase) => Promise<T>) => Promise<T>)[];
}

/** Veraison's published figure (the issue): not measured here, not the same machine or run. */
const VERAISON_PER_SECOND = 400;

const table = (rows: string[][], left: number): void => {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string =>
    `| ${r.map((cell, c) => (c < left ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  console.log(line(rows[0]!));
  console.log(`|${widths.map((w, c) => (c < left ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':')).join('|')}|`);
  for (const r of rows.slice(1)) console.log(line(r));
};

export async function runAttestationBench(o: AttestationBenchOptions): Promise<boolean> {
  o.say(`attestation: evidence verified per second on one core (${o.seconds} s per figure)…`);
  const loadBefore = loadavg()[0]!;
  const rates = measureEvidenceRates(o.seconds, o.releases);
  const loadAfter = loadavg()[0]!;

  const runs: AttestationFleetRun[] = [];
  for (const withDatabase of o.stores)
    runs.push(
      await withDatabase((db) =>
        runAttestationFleet(db.location, db.label, { agents: o.agents, rounds: o.rounds, say: o.say }),
      ),
    );

  const limit = (l: 'ecdsa-p256' | 'ed25519'): number => Math.max(rates.limits[l].before, rates.limits[l].after);
  const limitName = { 'ecdsa-p256': 'ECDSA P-256 SHA-256', ed25519: 'Ed25519' } as const;
  console.log(
    `\n### Attestation evidence verified per second, one core, sequential (${new Date().toISOString().slice(0, 10)}; load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)})\n`,
  );
  const rows: string[][] = [
    ['what', 'per second', 'raw verify, interleaved, per second', '× raw verify, same algorithm', '× Veraison (~400/s, not this run)'],
  ];
  for (const l of ['ecdsa-p256', 'ed25519'] as const) {
    const { before, after } = rates.limits[l];
    rows.push([
      `raw ${limitName[l]} \`crypto.verify\` (${before.toFixed(0)} / ${after.toFixed(0)}, before / after)`,
      limit(l).toFixed(0),
      '',
      '1.00',
      (limit(l) / VERAISON_PER_SECOND).toFixed(1),
    ]);
  }
  for (const r of rates.rows)
    rows.push([
      `${r.what} (× ${limitName[r.limit]})`,
      r.perSecond.toFixed(0),
      r.pairedRawPerSecond.toFixed(0),
      (r.perSecond / r.pairedRawPerSecond).toFixed(2),
      (r.perSecond / VERAISON_PER_SECOND).toFixed(1),
    ]);
  table(rows, 1);
  console.log(
    '\n× raw verify: each row over the raw verify of its algorithm measured interleaved with it (20 ms slices in turn), ' +
      'so that a load that comes and goes weighs on both; the raw rows above, measured alone before and after, are for scale.',
  );

  let clean = true;
  for (const run of runs) {
    const floor = (c: 'keep-alive' | 'per-request'): number =>
      run.rows.find((r) => r.scenario === 'floor' && r.connections === c)!.result.perSecond;
    console.log(
      `\n### Attestation round trips, ${run.store}: ${run.agents} agents at once, ${run.agents * run.rounds} per row (load average ${run.loadAverage.map((l) => l.toFixed(2)).join(' → ')})\n`,
    );
    const t: string[][] = [
      [
        'scenario',
        'connections',
        'per second',
        'p50 ms',
        'p99 ms',
        'legs p50 / p99 ms: nonce · quote · evidence',
        'server CPU ms',
        'server main busy',
        '÷ handshakes/s',
        '× floor, same mode',
        'errors',
      ],
    ];
    for (const { scenario, alone, connections, result, floorRuns, legs } of run.rows) {
      const legCell = legs
        ? (['nonce', 'quote', 'evidence'] as const)
            .map((k) => `${legs[k].p50.toFixed(1)}/${legs[k].p99.toFixed(1)}`)
            .join(' · ')
        : '';
      t.push([
        scenario === 'floor'
          ? `TLS floor: node:https, fixed answer (${floorRuns!.map((f) => f.toFixed(0)).join(' / ')})`
          : `nonce → quote → evidence → result${alone ? ', one agent alone' : ''}`,
        connections === 'keep-alive' ? 'keep-alive' : 'a new TLS connection per request',
        result.perSecond.toFixed(0),
        result.p50Ms.toFixed(1),
        result.p99Ms.toFixed(1),
        legCell,
        result.serverCpuMs.toFixed(2),
        `${(result.serverLoopUtilisation * 100).toFixed(0)} %`,
        (result.perSecond / floor('per-request')).toFixed(2),
        (result.perSecond / floor(connections)).toFixed(2),
        String(result.errors),
      ]);
      if (result.errors > 0) {
        clean = false;
        console.error(
          `${run.store}, ${scenario}, ${connections}: ${result.errors} errors; first: ${result.firstError ?? '?'}`,
        );
      }
    }
    table(t, 2);
  }
  console.log(
    '\n÷ handshakes/s: round trips/s over the TLS floor with a new connection per request (full handshakes, client certificates), same server process, same run. ' +
      'A round trip is two requests; per-request opens two TLS connections for it. The quote is signed in software on the agent (a TPM takes tens of ms more).',
  );
  return clean;
}
