// A load by a fleet of devices, one closed-loop client each: every device presents its own
// certificate over mutual TLS to the device listener, and reaches the TUF repository over plain
// HTTP. Used by bench/update-checks.ts and bench/attestation-fleet.ts for their loads, the first
// use of each certificate, and the TLS floor they are read against.
import { checkSimpleEnrollAnswer, measuredLoad, type EstLoadResult } from './est-enrollment.ts';
import type { EstServerReady } from './est-server.ts';
import {
  closeTransport,
  ConnectionCounter,
  makeTransport,
  runClosedLoop,
  sendRequest,
  type ClientIdentity,
  type Connections,
  type Transport,
} from './load/http-load.ts';
import type { ServerProcess } from './server-process.ts';
import { readTcpCounters, tcpCountersBetween, type TcpCounters } from './tcp-counters.ts';

/** A fleet load's figures, with the kernel's TCP counters over its timed part (Linux). */
export type FleetLoadResult = EstLoadResult & { tcp?: TcpCounters };

/** A device's ways to the server: the device listener (mutual TLS, its identity) and the TUF repository (plain HTTP). */
export interface DeviceLinks {
  device: Transport;
  tuf: Transport;
}

/**
 * `total` operations by one client per device, under `measuredLoad`. per-request: a new TLS
 * connection (full handshake, no resumption) for every request to the device listener, and one
 * plain HTTP connection for the TUF requests of one check, as the agent makes a new
 * DeviceUpdateApi (an https.Agent) and a new tuf-js Updater per check, an hour apart. keep-alive:
 * each device holds one connection to each listener, opened by one untimed operation before the
 * clock. Each device's TLS context (trusted root, its key and certificate) is made once.
 */
export async function fleetLoad(
  server: ServerProcess<EstServerReady>,
  fleet: { devices: readonly ClientIdentity[]; rootPem: string },
  total: number,
  connections: Connections,
  operation: (links: DeviceLinks, d: number) => Promise<void>,
): Promise<FleetLoadResult> {
  const tls = new ConnectionCounter();
  const plain = new ConnectionCounter();
  const device = fleet.devices.map((identity) =>
    makeTransport({ connections, maxSockets: 1, counter: tls, tls: { caPem: fleet.rootPem, identity } }),
  );
  const tufConnection = (): Transport => makeTransport({ connections: 'keep-alive', maxSockets: 1, counter: plain });
  const held = connections === 'keep-alive' ? device.map(tufConnection) : undefined;
  try {
    if (held) {
      const opened = await runClosedLoop(device.length, device.length, (_i, d) =>
        operation({ device: device[d]!, tuf: held[d]! }, d),
      );
      if (opened.errors > 0)
        throw new Error(`opening the connections: ${opened.errors} errors; first: ${opened.firstError ?? '?'}`);
    }
    const [openedBefore, resumedBefore, tcpBefore] = [tls.opened, tls.resumed, readTcpCounters()];
    const result: FleetLoadResult = await measuredLoad(server, total, async () => ({
      ...(await runClosedLoop(device.length, total, async (_i, d) => {
        const tuf = held?.[d] ?? tufConnection();
        try {
          await operation({ device: device[d]!, tuf }, d);
        } finally {
          if (!held) closeTransport(tuf);
        }
      })),
      connectionsOpened: tls.opened - openedBefore,
      tlsSessionsResumed: tls.resumed - resumedBefore,
    }));
    const tcp = tcpCountersBetween(tcpBefore, readTcpCounters());
    if (tcp) result.tcp = tcp;
    // The mode is part of what is measured: a resumed session or a shared socket would make it another figure.
    if (result.tlsSessionsResumed > 0) throw new Error(`${result.tlsSessionsResumed} TLS sessions were resumed`);
    if (connections === 'per-request' && result.connectionsOpened < result.count + result.errors)
      throw new Error(`${result.count + result.errors} operations over ${result.connectionsOpened} TLS connections`);
    return result;
  } finally {
    device.forEach(closeTransport);
    held?.forEach(closeTransport);
  }
}

/** A fleet: the devices' identities and the root their TLS clients trust. */
export interface Fleet {
  devices: readonly ClientIdentity[];
  rootPem: string;
}

/** What a device's agent waits for one answer (src/agent/http-transport.ts defaultTimeoutMs). */
export const AGENT_TIMEOUT_MS = 60_000;

/**
 * One operation per device, `inFlight` at once (all by default), each over a new TLS connection:
 * set-up, or the first use of each certificate (the server records it, a write once per
 * certificate), untimed, before any clock.
 */
export async function oncePerDevice(
  fleet: Fleet,
  operation: (transport: Transport, d: number) => Promise<void>,
  { inFlight = fleet.devices.length, what = 'warm-up' }: { inFlight?: number; what?: string } = {},
): Promise<void> {
  const counter = new ConnectionCounter();
  // the operation's index is the device's: each device once, whatever the clients in flight
  const result = await runClosedLoop(inFlight, fleet.devices.length, async (d) => {
    const transport = makeTransport({ connections: 'per-request', maxSockets: 1, counter, tls: { caPem: fleet.rootPem, identity: fleet.devices[d]! } });
    try {
      await operation(transport, d);
    } finally {
      closeTransport(transport);
    }
  });
  if (result.errors > 0) throw new Error(`${what}: ${result.errors} errors; first: ${result.firstError ?? '?'}`);
}

/**
 * The TLS floor, both ways of connecting: every device presents its certificate to est-server's
 * bare node:https listener, whose answer is fixed whatever the path; `path` is the real request's,
 * so the floor's request is the same size.
 */
export async function floorLoads(
  server: ServerProcess<EstServerReady>,
  fleet: Fleet,
  total: number,
  path: string,
  say: (s: string) => void,
): Promise<Record<Connections, FleetLoadResult>> {
  const out: Partial<Record<Connections, FleetLoadResult>> = {};
  for (const connections of ['per-request', 'keep-alive'] as const) {
    say(`    TLS floor (node:https, fixed answer, client certificates), ${connections === 'keep-alive' ? 'keep-alive' : 'a new TLS connection per request'}…`);
    out[connections] = await fleetLoad(server, fleet, total, connections, async (links) => {
      const answer = await sendRequest(links.device, { method: 'GET', url: `${server.ready.floorUrl}${path}`, headers: { accept: 'application/json' }, body: '' }, AGENT_TIMEOUT_MS);
      checkSimpleEnrollAnswer(answer.status, answer.body, answer.headers['content-type']);
    });
  }
  return out as Record<Connections, FleetLoadResult>;
}

/** The floor rows of a run measured before and after its loads: the faster of the two (ratios to it err on the modest side), both kept. */
export function floorRows(
  before: Record<Connections, FleetLoadResult>,
  after: Record<Connections, FleetLoadResult>,
): { connections: Connections; result: FleetLoadResult; floorRuns: [number, number] }[] {
  return (['per-request', 'keep-alive'] as const).map((connections) => {
    const [b, a] = [before[connections], after[connections]];
    return { connections, result: b.perSecond >= a.perSecond ? b : a, floorRuns: [b.perSecond, a.perSecond] };
  });
}
