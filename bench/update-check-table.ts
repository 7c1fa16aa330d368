// The table of bench/update-checks.ts: each store's checks next to the TLS floor of the same server
// process, as checks/s ÷ handshakes/s (the floor with a new connection per request) and as a
// ratio to the floor of the same connection mode.
import type { Connections } from './load/http-load.ts';
import type { UpdateCheckScenario, UpdateChecksRun } from './update-checks.ts';

export const scenarioText = (s: UpdateCheckScenario): string =>
  s === 'floor'
    ? 'TLS floor: node:https, fixed answer'
    : s === 'agent'
      ? 'as the agent: assignment; TUF refresh when assigned'
      : 'assignment + TUF refresh on every check';
export const connectionText = (c: Connections): string =>
  c === 'keep-alive' ? 'keep-alive' : 'a new TLS connection per check';

/** Prints the table; returns false when a run had errors. */
export function printUpdateCheckTable(runs: readonly UpdateChecksRun[]): boolean {
  const header = [
    'store',
    'scenario',
    'connections',
    'checks/s',
    'p50 ms',
    'p99 ms',
    'TLS conns',
    'listen overflows',
    'server CPU ms/check',
    'server main busy',
    'client CPU ms/check',
    '÷ handshakes/s',
    '× floor, same mode',
    'errors',
  ];
  const table: string[][] = [header];
  let clean = true;
  for (const run of runs) {
    const floor = (c: Connections): number =>
      run.rows.find((r) => r.scenario === 'floor' && r.connections === c)!.result.perSecond;
    for (const { scenario, connections, result, floorRuns } of run.rows) {
      const label = floorRuns
        ? `${scenarioText(scenario)} (${floorRuns.map((f) => f.toFixed(0)).join(' / ')})`
        : scenarioText(scenario);
      table.push([
        run.store,
        label,
        connectionText(connections),
        result.perSecond.toFixed(0),
        result.p50Ms.toFixed(1),
        result.p99Ms.toFixed(1),
        String(result.connectionsOpened),
        result.tcp ? String(result.tcp.listenOverflows) : '',
        result.serverCpuMs.toFixed(2),
        `${(result.serverLoopUtilisation * 100).toFixed(0)} %`,
        result.clientCpuMs.toFixed(2),
        (result.perSecond / floor('per-request')).toFixed(2),
        (result.perSecond / floor(connections)).toFixed(2),
        String(result.errors),
      ]);
      if (result.errors > 0) clean = false;
    }
  }
  const widths = header.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  const line = (r: string[]): string =>
    `| ${r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  const first = runs[0];
  if (first)
    console.log(
      `\nUpdate checks (issue 12): ${first.agents.toLocaleString('en')} agents at once, each a device with its own certificate, ${(first.agents * first.rounds).toLocaleString('en')} checks per row; ` +
        `${first.assigned} devices assigned the release (${first.answerBytes.assigned.toLocaleString('en')}-byte answer), the rest { assignment: null } (${first.answerBytes.unassigned} bytes)\n`,
    );
  console.log(line(header));
  console.log(`|${widths.map((w, c) => (c < 3 ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':')).join('|')}|`);
  for (const r of table.slice(1)) console.log(line(r));
  for (const run of runs)
    console.log(
      `\n${run.store}: load average ${run.loadAverage.map((l) => l.toFixed(2)).join(' → ')} over the timed loads.`,
    );
  console.log(
    '\n÷ handshakes/s: checks/s over the TLS floor with a new connection per request (full handshakes, client certificates), same server process, same run.',
  );
  for (const run of runs)
    for (const { scenario, connections, result } of run.rows)
      if (result.errors > 0)
        console.log(
          `\n${run.store}, ${scenarioText(scenario)}, ${connectionText(connections)}: ${result.errors} errors; first: ${result.firstError ?? '?'}`,
        );
  return clean;
}
