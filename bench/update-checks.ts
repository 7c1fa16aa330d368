// Issue 12: N simulated agents (1,000 by default) checking for updates at once against one server,
// next to the same server process's raw TLS handshake rate, measured in the same run.
//
// The server is bench/est-server.ts in a child process: the /v1 API (which also serves the TUF
// repository over plain HTTP), the device listener (EST + /device/v1, mutual TLS) and the TLS floor
// (a bare node:https listener with the same kind of certificate, fixed answer). Before any clock:
// N devices enrolled over EST (each its own P-256 key and certificate), release 1.0.0 published
// through the API, and a rollout of it to the whole product whose first stage reaches `stagePct` %.
// Then one untimed check per device: the server records each certificate's first use (a write,
// once per certificate), and the bench learns which devices are assigned.
//
// A check is what src/agent/update does: `GET /device/v1/<sku>/update/assignment` over mutual TLS
// with the device's certificate, the answer read by the agent's own parsers; and, when a release
// is assigned, the TUF refresh that follows (tuf-js, client workflow 5.3.3–5.4), which with
// nothing new is `GET <n+1>.root.json` (404) and `GET timestamp.json` over plain HTTP. The agent
// stops there on an unassigned device; the reading, the TUF refresh on every device, is
// measured too. The download and install that follow an assignment are not a check.
import { loadavg } from 'node:os';
import {
  parseAssignmentAnswer,
  parseJsonAnswer,
  MAX_ASSIGNMENT_ANSWER_BYTES,
} from '../src/agent/update/device-api-answers.ts';
import type { DatabaseLocation } from '../src/store/database.ts';
import { enrollDevices, startEstServer } from './est-enrollment.ts';
import type { EstServerReady } from './est-server.ts';
import { AGENT_TIMEOUT_MS, fleetLoad, floorLoads, floorRows, oncePerDevice, type Fleet, type FleetLoadResult } from './fleet-load.ts';
import { BENCH_SKU } from './fixtures.ts';
import {
  sendRequest,
  type ClientIdentity,
  type Connections,
  type HttpLoadRequest,
  type Transport,
} from './load/http-load.ts';
import type { ServerProcess } from './server-process.ts';
import { connectionText, scenarioText } from './update-check-table.ts';
import { apiClient, publishBenchRelease } from './update-release.ts';

export interface UpdateCheckOptions {
  /** Simulated agents: distinct enrolled devices, all checking at once (one closed-loop client each). */
  agents: number;
  /** Checks per agent in a timed run (agents × rounds in all). */
  rounds: number;
  /** The rollout's first stage: this share of the fleet is assigned the release. */
  stagePct: number;
  say: (s: string) => void;
}

export type UpdateCheckScenario = 'floor' | 'agent' | 'tuf-every-check';

export interface UpdateCheckRow {
  scenario: UpdateCheckScenario;
  connections: Connections;
  result: FleetLoadResult;
  /** The floor only: measured before and after the checks; `result` is the faster of the two. */
  floorRuns?: [number, number];
}

export interface UpdateChecksRun {
  store: string;
  agents: number;
  rounds: number;
  /** Devices whose assignment answer names the release (the rest get `{ assignment: null }`). */
  assigned: number;
  /** Bytes of the two answers: `{ assignment: null }` and an assignment (boot manifest included). */
  answerBytes: { unassigned: number; assigned: number };
  rows: UpdateCheckRow[];
  /** The machine's 1-minute load average when the timed loads began and ended (os.loadavg). */
  loadAverage: [number, number];
}

/** How many devices a stage of `pct` % reaches in a cohort of `size` (src/store/rollout-rows.ts: rank < ceil). */
const reached = (pct: number, size: number): number => Math.ceil((pct * size) / 100);

export async function runUpdateChecks(
  location: DatabaseLocation,
  store: string,
  o: UpdateCheckOptions,
): Promise<UpdateChecksRun> {
  const server = await startEstServer(location);
  try {
    const { apiUrl, token } = server.ready;
    o.say(`  update checks on ${store}: enrolling ${o.agents} devices over EST…`);
    const devices = await enrollDevices(server.ready, 'UPD-', o.agents, 32);
    o.say(`    release 1.0.0 published, rolled out to ${o.stagePct} % of the fleet…`);
    const { releaseId } = await publishBenchRelease(apiUrl, token);
    await apiClient(apiUrl, token)('POST', `/v1/products/${BENCH_SKU}/rollouts`, {
      releaseId,
      stages: [o.stagePct, 100],
    });
    const fleet = await prepareFleet(server.ready, devices);

    o.say(`    one untimed check per device (first use of each certificate)…`);
    const expected = await warmUp(fleet);
    const assigned = expected.filter((id) => id !== null).length;
    if (assigned !== reached(o.stagePct, o.agents) || expected.some((id) => id !== null && id !== releaseId))
      throw new Error(
        `${assigned} of ${o.agents} devices assigned ${releaseId}; the ${o.stagePct} % stage reaches ${reached(o.stagePct, o.agents)}`,
      );
    const answerBytes = { unassigned: fleet.answerBytes.get(false) ?? 0, assigned: fleet.answerBytes.get(true) ?? 0 };

    const total = o.agents * o.rounds;
    const rows: UpdateCheckRow[] = [];
    const loadBefore = loadavg()[0]!;
    const floorBefore = await floorLoads(server, fleet, total, fleet.floorPath, o.say);
    for (const scenario of ['agent', 'tuf-every-check'] as const)
      for (const connections of ['per-request', 'keep-alive'] as const) {
        o.say(`    ${total} checks (${scenarioText(scenario)}), ${connectionText(connections)}…`);
        rows.push({
          scenario,
          connections,
          result: await checkLoad(server, fleet, expected, total, scenario, connections),
        });
      }
    const floorAfter = await floorLoads(server, fleet, total, fleet.floorPath, o.say);
    rows.unshift(...floorRows(floorBefore, floorAfter).map((f) => ({ scenario: 'floor' as const, ...f })));
    return {
      store,
      agents: o.agents,
      rounds: o.rounds,
      assigned,
      answerBytes,
      rows,
      loadAverage: [loadBefore, loadavg()[0]!],
    };
  } finally {
    await server.stop();
  }
}

interface UpdateFleet extends Fleet {
  assignmentUrl: string;
  /** the assignment's path, for the TLS floor's request */
  floorPath: string;
  /** The TUF repository (plain HTTP, on the API listener) and the device's trusted root version. */
  tufBase: string;
  rootVersion: number;
  timestamp: Buffer;
  /** Answer sizes seen in the warm-up, by whether a release was assigned. */
  answerBytes: Map<boolean, number>;
}

async function prepareFleet(server: EstServerReady, devices: readonly ClientIdentity[]): Promise<UpdateFleet> {
  const tufBase = `${server.apiUrl}/tuf/${BENCH_SKU}/metadata`;
  const timestamp = await fetch(`${tufBase}/timestamp.json`);
  if (timestamp.status !== 200) throw new Error(`timestamp.json: HTTP ${timestamp.status}`);
  return {
    devices,
    rootPem: server.rootPem,
    assignmentUrl: `${server.estUrl}/device/v1/${BENCH_SKU}/update/assignment`,
    floorPath: `/device/v1/${BENCH_SKU}/update/assignment`,
    tufBase,
    rootVersion: 1,
    timestamp: Buffer.from(await timestamp.arrayBuffer()),
    answerBytes: new Map(),
  };
}

const get = (url: string): HttpLoadRequest => ({
  method: 'GET',
  url,
  headers: { accept: 'application/json' },
  body: '',
});

/** The assignment, as the agent reads it (DeviceUpdateApi: 200, JSON, its parsers); the release id or null. */
async function askAssignment(fleet: UpdateFleet, transport: Transport): Promise<string | null> {
  const answer = await sendRequest(transport, get(fleet.assignmentUrl), AGENT_TIMEOUT_MS);
  if (answer.status !== 200)
    throw new Error(`assignment: HTTP ${answer.status} ${answer.body.toString('utf8').slice(0, 300)}`);
  if (!/^application\/json/i.test(answer.headers['content-type'] ?? ''))
    throw new Error('assignment: the answer is not JSON');
  const assignment = parseAssignmentAnswer(parseJsonAnswer(answer.body, MAX_ASSIGNMENT_ANSWER_BYTES, 'assignment'));
  fleet.answerBytes.set(assignment !== null, answer.body.length);
  return assignment?.releaseId ?? null;
}

/** TUF client workflow with nothing new: 5.3.3 the next root is not there, 5.4 the same timestamp. */
async function tufIdleRefresh(fleet: UpdateFleet, transport: Transport): Promise<void> {
  const nextRoot = await sendRequest(
    transport,
    get(`${fleet.tufBase}/${fleet.rootVersion + 1}.root.json`),
    AGENT_TIMEOUT_MS,
  );
  if (nextRoot.status !== 404)
    throw new Error(`${fleet.rootVersion + 1}.root.json: HTTP ${nextRoot.status}, expected 404`);
  const timestamp = await sendRequest(transport, get(`${fleet.tufBase}/timestamp.json`), AGENT_TIMEOUT_MS);
  if (timestamp.status !== 200 || !timestamp.body.equals(fleet.timestamp))
    throw new Error(
      `timestamp.json: HTTP ${timestamp.status}, ${timestamp.body.length} bytes, not the published timestamp`,
    );
}

/** One check per device, new connections: the release id each is assigned, or null. */
async function warmUp(fleet: UpdateFleet): Promise<(string | null)[]> {
  const expected: (string | null)[] = [];
  await oncePerDevice(fleet, async (transport, d) => {
    expected[d] = await askAssignment(fleet, transport);
  });
  return expected;
}

/** `total` update checks; each answer must be the one the device got in the warm-up. */
function checkLoad(
  server: ServerProcess<EstServerReady>,
  fleet: UpdateFleet,
  expected: readonly (string | null)[],
  total: number,
  scenario: Exclude<UpdateCheckScenario, 'floor'>,
  connections: Connections,
): Promise<FleetLoadResult> {
  return fleetLoad(server, fleet, total, connections, async (links, d) => {
    const releaseId = await askAssignment(fleet, links.device);
    if (releaseId !== expected[d])
      throw new Error(`device ${d}: assigned ${String(releaseId)}, expected ${String(expected[d])}`);
    if (releaseId !== null || scenario === 'tuf-every-check') await tufIdleRefresh(fleet, links.tuf);
  });
}
