// The kernel's TCP counters that explain a connection's wait before any server code runs (Linux,
// /proc/net/netstat, this network namespace: every process in it counts, not only the bench's).
// ListenOverflows: a completed handshake found the listener's accept queue full and was dropped;
// the client then retransmits after 1, 2, 4 … s. TCPSynRetrans: SYNs (and SYN-ACKs) sent again.
import { readFileSync } from 'node:fs';

export interface TcpCounters {
  listenOverflows: number;
  synRetransmits: number;
}

/** The counters now, or undefined when /proc/net/netstat is not there (not Linux). */
export function readTcpCounters(): TcpCounters | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/net/netstat', 'utf8');
  } catch {
    return undefined;
  }
  // Pairs of lines: "TcpExt: <names…>" then "TcpExt: <values…>".
  const lines = text.split('\n').filter((l) => l.startsWith('TcpExt:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const value = (name: string): number => Number(values[names.indexOf(name)] ?? NaN);
  const counters = { listenOverflows: value('ListenOverflows'), synRetransmits: value('TCPSynRetrans') };
  return Number.isFinite(counters.listenOverflows) && Number.isFinite(counters.synRetransmits) ? counters : undefined;
}

/** What happened between two readings; undefined when either is. */
export function tcpCountersBetween(
  before: TcpCounters | undefined,
  after: TcpCounters | undefined,
): TcpCounters | undefined {
  if (!before || !after) return undefined;
  return {
    listenOverflows: after.listenOverflows - before.listenOverflows,
    synRetransmits: after.synRetransmits - before.synRetransmits,
  };
}
