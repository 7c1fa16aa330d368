// The OCSP scenarios of `npm run bench -- --only ocsp` (issue 11): wrk POSTs openssl-made requests
// at trustplane's OCSP route (a child process: bench/ocsp-server.ts), at OpenSSL's own responder
// (bench/peers/openssl-ocsp.ts) and at two floors that answer a fixed OCSP answer (bench/ocsp-server.ts),
// each without and with a nonce, at each number of connections. Before a side is timed, sample
// answers are checked by `openssl ocsp -respin`; a wrong one aborts that side.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchDatabase } from './fixtures.ts';
import { probeConnectionMode, type ConnectionMode } from './load/connection-mode.ts';
import { runWrk, wrkInstalled } from './load/wrk.ts';
import { checkGet, checkSamples, OCSP_REQUEST_TYPE, stillAnswers } from './ocsp-checks.ts';
import { makeRequestSets, type NonceMode } from './ocsp-requests.ts';
import type { OcspServerReady } from './ocsp-server.ts';
import { printOcspTable, type OcspRow, type OcspSide } from './ocsp-table.ts';
import { makeOpensslCa, opensslInstalled, startOpensslResponder } from './peers/openssl-ocsp.ts';
import { locationArgument, startServerProcess } from './server-process.ts';

export interface OcspOptions {
  /** Device certificates per responder (every tenth revoked). */
  n: number;
  seconds: number;
  warmupSeconds: number;
  connections: readonly number[];
  /** wrk's threads (at most one per connection); they share the machine's cores with the server. */
  threads: number;
  say: (s: string) => void;
  /** One per store trustplane runs on (PGlite first: the floors run on its server). */
  stores: readonly (<T>(run: (db: BenchDatabase) => Promise<T>) => Promise<T>)[];
}

const MODES: readonly NonceMode[] = ['no-nonce', 'nonce'];

/** A responder as one timed run sees it: where to POST, its CPU so far, and how to let it go. */
interface Session {
  url: string;
  cpuMs(): Promise<number | undefined>;
  close(): Promise<void>;
}

interface Target {
  side: OcspSide;
  label: string;
  nonce?: NonceMode;
  bodiesFile: string;
  keepAlive: boolean;
  /** A session per run: trustplane's server stays up; openssl's responder is a fresh process each time. */
  open(): Promise<Session>;
}

/** Runs every scenario and prints the table; false when a side was aborted or a run had errors. */
export async function runOcspBench(o: OcspOptions): Promise<boolean> {
  if (!(await wrkInstalled())) {
    console.log('\nOCSP: wrk not installed: apt-get install wrk');
    return true;
  }
  if (!(await opensslInstalled())) {
    console.log('\nOCSP: openssl not installed (it makes the requests and is the peer): apt-get install openssl');
    return true;
  }
  const work = await mkdtemp(join(tmpdir(), 'tp-bench-ocsp-'));
  const rows: OcspRow[] = [];
  const notes: string[] = [];
  let clean = true;
  const aborting = async (label: string, run: () => Promise<void>): Promise<void> => {
    try {
      await run();
    } catch (e) {
      clean = false;
      notes.push(`${label}: ABORTED: ${e instanceof Error ? e.message : String(e)}`);
      o.say(`  ${label}: aborted: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  try {
    await aborting('openssl ocsp -port', () => openssl(o, join(work, 'openssl'), rows, notes));
    for (const [k, store] of o.stores.entries()) {
      await store((db) =>
        aborting(`trustplane, ${db.label}`, () =>
          trustplane(o, db, join(work, `trustplane-${k}`), k === 0, rows, notes),
        ),
      );
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return printOcspTable(rows, notes, o) && clean;
}

async function openssl(o: OcspOptions, dir: string, rows: OcspRow[], notes: string[]): Promise<void> {
  o.say(`  openssl: a CA, a delegated responder and ${o.n} certificates by openssl ca…`);
  const ca = await makeOpensslCa(dir, o.n);
  const requests = await makeRequestSets(dir, ca.caPem, ca.subjects, o.say);
  const probe = requests['no-nonce'].bodies[1]!;
  let runs = 0;
  let wedged = 0;
  const open = async (): Promise<Session> => {
    const responder = await startOpensslResponder(ca);
    return {
      url: responder.url,
      cpuMs: () => responder.cpuMs(),
      close: async () => {
        runs++;
        if (!(await stillAnswers(responder.url, probe))) wedged++;
        await responder.stop();
      },
    };
  };
  const first = await startOpensslResponder(ca);
  let mode: ConnectionMode;
  try {
    await checkSamples(dir, { url: first.url, issuerPem: ca.caPem, trustPem: ca.caPem }, requests, ca.subjects);
    mode = await probeConnectionMode(first.url, OCSP_REQUEST_TYPE, probe);
  } finally {
    await first.stop();
  }
  notes.push(`openssl ocsp -port: ${describeMode(mode)}.`);
  for (const nonce of MODES) {
    const target = {
      side: 'openssl',
      label: 'openssl ocsp -port, 1 process',
      nonce,
      bodiesFile: requests[nonce].file,
      keepAlive: mode.keepAlive,
      open,
    } as const;
    await measureAll(o, rows, target);
  }
  notes.push(
    `openssl ocsp -port was left wedged (reading end-of-file in a loop on a connection closed before its request, ` +
      `openssl/openssl#23934) after ${wedged} of ${runs} wrk runs; each run, warm-ups included, had a fresh process.`,
  );
}

async function trustplane(
  o: OcspOptions,
  db: BenchDatabase,
  dir: string,
  withFloors: boolean,
  rows: OcspRow[],
  notes: string[],
): Promise<void> {
  o.say(`  trustplane on ${db.label}: server process issuing ${o.n} certificates, revoking every tenth…`);
  await mkdir(dir, { recursive: true });
  const server = await startServerProcess<OcspServerReady>('./ocsp-server.ts', [
    String(o.n),
    locationArgument(db.location),
    dir,
  ]);
  try {
    const ready = server.ready;
    const requests = await makeRequestSets(dir, ready.issuerPem, ready.subjects, o.say);
    const probe = requests['no-nonce'].bodies[1]!;
    const responder = { url: ready.ocspUrl, issuerPem: ready.issuerPem, trustPem: ready.rootPem };
    const { nonceEchoed } = await checkSamples(dir, responder, requests, ready.subjects);
    await checkGet(dir, responder, probe, ready.subjects[1]!.status);
    const mode = await probeConnectionMode(ready.ocspUrl, OCSP_REQUEST_TYPE, probe);
    // Pre-produced (RFC 6960 §2.4): each CertID asked once before the clock, so the runs measure
    // the steady state (an answer is made once per CertID per half-validity), not first sight.
    for (const body of requests['no-nonce'].bodies) {
      const made = await fetch(ready.ocspUrl, { method: 'POST', headers: { 'content-type': OCSP_REQUEST_TYPE }, body });
      if (made.status !== 200) throw new Error(`pre-producing: HTTP ${made.status}`);
      await made.arrayBuffer();
    }
    notes.push(
      `trustplane (Fastify), ${db.label}: ${describeMode(mode)}; the nonce ${nonceEchoed ? 'is' : 'is NOT'} echoed; every CertID asked once before the runs (answers pre-produced).`,
    );
    // The server stays up across runs; its CPU is the whole process's (main thread, workers, libuv pool).
    const open = (url: string) => (): Promise<Session> =>
      Promise.resolve({ url, cpuMs: async () => (await server.probe()).cpuMs, close: () => Promise.resolve() });
    for (const nonce of MODES) {
      const target = {
        side: 'trustplane',
        label: `trustplane, ${db.label}`,
        nonce,
        bodiesFile: requests[nonce].file,
        keepAlive: mode.keepAlive,
        open: open(ready.ocspUrl),
      } as const;
      await measureAll(o, rows, target);
    }
    if (!withFloors) return;
    const floor = await fetch(ready.fastifyFloorUrl, {
      method: 'POST',
      headers: { 'content-type': OCSP_REQUEST_TYPE },
      body: probe,
    });
    if (floor.status !== 200 || (await floor.arrayBuffer()).byteLength !== ready.floorAnswerBytes)
      throw new Error(`the Fastify floor answered HTTP ${floor.status}, not its fixed answer`);
    const floors = [
      { side: 'fastify-floor', label: 'floor: Fastify route, fixed answer', url: ready.fastifyFloorUrl },
      { side: 'node-floor', label: 'floor: bare node:http, fixed answer', url: ready.nodeFloorUrl },
    ] as const;
    notes.push(
      `floors: each answers one real trustplane answer (${ready.floorAnswerBytes} bytes, its headers too), whatever the request.`,
    );
    for (const { side, label, url } of floors) {
      const floorMode = await probeConnectionMode(url, OCSP_REQUEST_TYPE, probe);
      notes.push(`${label}: ${describeMode(floorMode)}.`);
      await measureAll(o, rows, {
        side,
        label,
        bodiesFile: requests['no-nonce'].file,
        keepAlive: floorMode.keepAlive,
        open: open(url),
      });
    }
  } finally {
    await server.stop();
  }
}

function describeMode(m: ConnectionMode): string {
  const seen = `${m.statusLine}, ${m.connectionHeader === undefined ? 'no Connection header' : `Connection: ${m.connectionHeader}`}`;
  return m.keepAlive
    ? `keeps connections open (${seen})`
    : `closes the connection after every answer, keep-alive asked or not (${seen}): each answer costs the client a new TCP connection`;
}

/** A warm-up run, then the timed run with the server's CPU read around it; at each number of connections. */
async function measureAll(o: OcspOptions, rows: OcspRow[], target: Target): Promise<void> {
  for (const connections of o.connections) {
    // wrk wants at least a connection per thread.
    const threads = Math.min(o.threads, connections);
    const wrk = { bodiesFile: target.bodiesFile, contentType: OCSP_REQUEST_TYPE, threads, connections };
    const name = `${target.label}${target.nonce ? `, ${target.nonce}` : ''}, ${connections} connections`;
    const warm = await target.open();
    try {
      await runWrk({ ...wrk, url: warm.url, seconds: o.warmupSeconds });
    } finally {
      await warm.close();
    }
    const timed = await target.open();
    try {
      const before = await timed.cpuMs();
      const result = await runWrk({ ...wrk, url: timed.url, seconds: o.seconds });
      const after = await timed.cpuMs();
      const cpuMsPerAnswer =
        before !== undefined && after !== undefined && result.count > 0 ? (after - before) / result.count : undefined;
      rows.push({
        side: target.side,
        label: target.label,
        ...(target.nonce ? { nonce: target.nonce } : {}),
        connections,
        keepAlive: target.keepAlive,
        result,
        ...(cpuMsPerAnswer === undefined ? {} : { cpuMsPerAnswer }),
      });
      o.say(
        `    ${name}: ${result.perSecond.toFixed(0)}/s, p99 ${result.p99Ms.toFixed(1)} ms${result.errors > 0 ? `, ${result.errors} errors` : ''}`,
      );
    } finally {
      await timed.close();
    }
  }
}
