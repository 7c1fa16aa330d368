// A load by a fleet of devices, one closed-loop client each: every device presents its own
// certificate over mutual TLS to the device listener, and reaches the TUF repository over plain
// HTTP. Used by bench/update-checks.ts for the update checks and for the TLS floor alike.
import { measuredLoad, type EstLoadResult } from './est-enrollment.ts';
import type { EstServerReady } from './est-server.ts';
import {
  closeTransport,
  ConnectionCounter,
  makeTransport,
  runClosedLoop,
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
