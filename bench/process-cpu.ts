// CPU time of other processes on this machine, from /proc (Linux): a peer's server process
// (cfssl, step-ca), and a PostgreSQL cluster's, for the "server CPU per certificate" column.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

/** Clock ticks per second of /proc's times (`getconf CLK_TCK`; 100 on Linux everywhere we run). */
const ticksPerSecond = ((): number => {
  try {
    const v = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(v) && v > 0 ? v : 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  ppid: number;
  /** utime + stime: the process's own threads. */
  selfMs: number;
  /** cutime + cstime: children it has waited for. */
  reapedChildrenMs: number;
}

/** /proc/<pid>/stat, or undefined when the process is gone (or this is not Linux). */
function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // proc(5): "pid (comm) state ppid …"; comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const at = (field: number): number => Number(fields[field - 3]); // proc(5) numbers fields from 1; state is field 3
  const ms = (ticks: number): number => (ticks * 1000) / ticksPerSecond;
  return { ppid: at(4), selfMs: ms(at(14) + at(15)), reapedChildrenMs: ms(at(16) + at(17)) };
}

/** User + system CPU of process `pid` (all its threads) so far, ms; undefined when it is gone. */
export function processCpuMs(pid: number): number | undefined {
  return readStat(pid)?.selfMs;
}

/**
 * A reader of the whole PostgreSQL cluster's CPU so far (ms): the postmaster with every child it
 * has reaped (exited backends), plus its live children (backends, WAL writer, checkpointer,
 * autovacuum, …). The sum only grows, so two readings bracket what the cluster spent between
 * them, whoever asked for it: other databases' sessions on the same cluster count too.
 * Undefined when the server is not on this machine (its backend's /proc entry is not here).
 */
export async function postgresClusterCpu(serverUrl: string): Promise<(() => number) | undefined> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  let postmaster: number | undefined;
  try {
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    // Our backend is a child of the postmaster; read while the connection is open.
    postmaster = readStat(rows[0]!.pid)?.ppid;
  } finally {
    await client.end();
  }
  if (postmaster === undefined || readStat(postmaster) === undefined) return undefined;
  const root = postmaster;
  return () => {
    let total = 0;
    const stat = readStat(root);
    if (stat === undefined) throw new Error(`PostgreSQL postmaster ${root} is gone`);
    total += stat.selfMs + stat.reapedChildrenMs;
    for (const entry of readdirSync('/proc')) {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid === root) continue;
      const child = readStat(pid);
      if (child?.ppid === root) total += child.selfMs;
    }
    return total;
  };
}
