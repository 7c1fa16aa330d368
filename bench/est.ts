// The EST scenarios of `npm run bench -- --only est` (issue 4): simpleenroll over TLS with keep-alive
// and with a new TLS connection per request, and the agent's fleet simulator; each on a fresh
// database. The table puts them next to the TLS floor (a bare node:https server with the same kind
// of certificate, measured in the same run), the bar (500 enrollments/s with keep-alive) and the
// /v1 HTTP enroll figure of the same store when the run measured it.
import type { BenchDatabase } from './fixtures.ts';
import { runEstEnrollment, runTlsFloor, type EstConnections, type EstLoadResult } from './est-enrollment.ts';
import { runEstSimulator, type SimulatorFigures } from './est-simulator.ts';
import type { Throughput } from './stats.ts';

/** Issue 4: at least this many enrollments per second with keep-alive, on the bench machine. */
export const EST_BAR_PER_SECOND = 500;

export interface EstRow {
  /** '' for the floor, which uses no store. */
  store: string;
  scenario: string;
  connections?: EstConnections;
  result: EstLoadResult | SimulatorFigures;
}

export interface EstOptions {
  n: number;
  clients: number;
  say: (s: string) => void;
  /** Fresh database per scenario. */
  withDatabase: <T>(run: (db: BenchDatabase) => Promise<T>) => Promise<T>;
}

export async function runEstScenarios(o: EstOptions): Promise<EstRow[]> {
  const rows: EstRow[] = [];
  for (const connections of ['keep-alive', 'per-request'] as const) {
    const what = connections === 'keep-alive' ? 'keep-alive' : 'new TLS connection per request';
    rows.push(
      await o.withDatabase(async (db) => {
        o.say(`  EST simpleenroll on ${db.label}, ${what}:`);
        return {
          store: db.label,
          connections,
          scenario: `EST simpleenroll, ${db.label}, ${o.clients} clients, ${what}`,
          result: await runEstEnrollment(db.location, o.n, o.clients, connections, o.say),
        };
      }),
    );
  }
  rows.push(
    await o.withDatabase(async (db) => {
      o.say(`  trustplane-agent simulate on ${db.label}: ${o.n} devices, concurrency ${o.clients}…`);
      return {
        store: db.label,
        scenario: `agent simulate, ${db.label}, ${o.n} devices, concurrency ${o.clients}`,
        result: await runEstSimulator(db.location, o.n, o.clients),
      };
    }),
  );
  return rows;
}

/** The TLS floor, both ways of connecting (its server opens a store, but never reads it while measured). */
export async function runEstFloor(o: EstOptions): Promise<EstRow[]> {
  const floor = await o.withDatabase((db) => runTlsFloor(db.location, o.n, o.clients, o.say));
  return (['keep-alive', 'per-request'] as const).map((connections) => ({
    store: '',
    connections,
    scenario: `TLS floor: node:https, fixed answer, ${o.clients} clients, ${connections === 'keep-alive' ? 'keep-alive' : 'new TLS connection per request'}`,
    result: floor[connections],
  }));
}

const isSimulator = (r: EstRow['result']): r is SimulatorFigures => 'operationsPerSecond' in r;

/** Prints the table; returns false when a scenario had errors or failed devices. */
export function printEstTable(
  rows: readonly EstRow[],
  httpByStore: ReadonlyMap<string, Throughput>,
  httpClients: number,
): boolean {
  const header = [
    'scenario',
    'enrollments/s',
    'p50 ms',
    'p99 ms',
    'total s',
    'connections',
    'server CPU ms/enr',
    'server main busy',
    'client CPU ms/enr',
    '× floor',
    `× bar ${EST_BAR_PER_SECOND}/s`,
    `× HTTP /v1 (${httpClients} clients)`,
    'errors',
  ];
  const table: string[][] = [header];
  let clean = true;
  const floorOf = (c: EstConnections | undefined): number | undefined => {
    const row = rows.find((r) => r.store === '' && r.connections === c);
    return row && !isSimulator(row.result) ? row.result.perSecond : undefined;
  };
  for (const { store, scenario, result, connections } of rows) {
    const http = httpByStore.get(store);
    // The simulator enrolls over keep-alive connections, so its floor is the keep-alive one.
    const floor = floorOf(isSimulator(result) ? 'keep-alive' : connections);
    const perSecond = isSimulator(result) ? result.operationsPerSecond : result.perSecond;
    const p50 = isSimulator(result) ? result.enroll.p50Ms : result.p50Ms;
    const p99 = isSimulator(result) ? result.enroll.p99Ms : result.p99Ms;
    const seconds = isSimulator(result) ? result.totalMs / 1000 : result.seconds;
    const errors = isSimulator(result) ? result.failed : result.errors;
    table.push([
      scenario,
      perSecond.toFixed(0),
      p50.toFixed(1),
      p99.toFixed(1),
      seconds.toFixed(1),
      isSimulator(result) ? '' : String(result.connectionsOpened),
      result.serverCpuMs.toFixed(2),
      isSimulator(result) ? '' : `${(result.serverLoopUtilisation * 100).toFixed(0)} %`,
      isSimulator(result) ? '' : result.clientCpuMs.toFixed(2),
      floor ? (perSecond / floor).toFixed(2) : '',
      (perSecond / EST_BAR_PER_SECOND).toFixed(2),
      http ? (perSecond / http.perSecond).toFixed(2) : '',
      String(errors),
    ]);
    if (errors > 0) clean = false;
  }
  const widths = header.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  const line = (r: string[]): string =>
    `| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  console.log(`\nEST enrollment (issue 4), ECDSA P-256, ${new Date().toISOString().slice(0, 10)}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w, c) => (c === 0 ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':')).join('|')}|`);
  for (const r of table.slice(1)) console.log(line(r));

  for (const { scenario, result } of rows) {
    if (isSimulator(result)) {
      const e = result.enroll;
      console.log(
        `\n${scenario}: ${result.succeeded}/${result.devices} enrolled in ${(result.totalMs / 1000).toFixed(1)} s (batches included; the process ${(result.processMs / 1000).toFixed(1)} s); ` +
          `enrollment phase ${e.perSecond.toFixed(0)}/s, p50 ${e.p50Ms} ms, p99 ${e.p99Ms} ms` +
          (result.failed > 0 ? `; failures: ${JSON.stringify(result.failuresByCode)}` : ''),
      );
    } else if (result.errors > 0) {
      console.log(`\n${scenario}: ${result.errors} errors; first: ${result.firstError ?? '?'}`);
    }
  }
  return clean;
}
