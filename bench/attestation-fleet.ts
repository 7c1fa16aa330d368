// Issue 15: N simulated agents (500 by default) attesting at once against one server, each round
// trip what `trustplane-agent attest` does: POST …/attestation/nonce, a TPM2_Quote over the nonce,
// POST …/attestation/evidence, the result read back — over mutual TLS on the device listener with
// the device's own certificate. Next to the same server process's TLS floor, as update-checks.ts.
//
// The server is bench/est-server.ts in a child process. Before any clock: N devices enrolled over
// EST; release 1.0.0 published through the API with the boot measurements of
// test/vectors/tpm/quote-ecc-p256.json (its reference PCR values); for each device a software TPM
// (bench/attestation-agent-tpm.ts: EK and AK in software, quotes laid out as a TPM's) whose AK is
// registered through the device routes — the server's TPM2_MakeCredential challenge, answered by
// ActivateCredential in software — so every AK is bound as a real one is, by the real code and
// ledger event; then one untimed round trip per device (first use of each certificate).
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import type { ReportedPcrs } from '../src/attestation/tpm/index.ts';
import type { DatabaseLocation } from '../src/store/database.ts';
import { activateCredentialInSoftware, benchTpm, quoteEvidence, type BenchTpm } from './attestation-agent-tpm.ts';
import { enrollDevices, startEstServer } from './est-enrollment.ts';
import { BENCH_SKU } from './fixtures.ts';
import { AGENT_TIMEOUT_MS, fleetLoad, floorLoads, floorRows, oncePerDevice, type Fleet, type FleetLoadResult } from './fleet-load.ts';
import { sendRequest, type ClientIdentity, type Connections, type Transport } from './load/http-load.ts';
import { percentile } from './stats.ts';
import { publishBenchRelease } from './update-release.ts';

/** The TLS floor's request: the evidence route's path (the floor answers any path). */
const FLOOR_PATH = `/device/v1/${BENCH_SKU}/attestation/evidence`;

/** The measurements swtpm extended for the checked-in quote, and the PCR values they give. */
const hex = (text: string): string => createHash('sha256').update(text).digest('hex');
const BOOT_MEASUREMENTS = {
  bank: 'sha256',
  pcrs: { '0': [hex('bootloader 2.1.0'), hex('firmware image 1.4.0')], '7': [hex('configuration 1.4.0')] },
};
const PCRS: ReportedPcrs = {
  alg: 'sha256',
  values: new Map([
    [0, new Uint8Array(Buffer.from('4d01c8a871ba393d2557d1290cc4a23b84aecf8c62e2311eb09062010191cc85', 'hex'))],
    [7, new Uint8Array(Buffer.from('f05f182c1bfaef6646556b97417528dcc1162b39cb661e64986c798a590f8295', 'hex'))],
  ]),
};

export interface AttestationFleetOptions {
  agents: number;
  /** round trips per agent in a timed run */
  rounds: number;
  say: (s: string) => void;
}

export interface RoundTripRow {
  scenario: 'floor' | 'round-trip';
  /** one agent alone instead of the whole fleet at once */
  alone?: boolean;
  connections: Connections;
  result: FleetLoadResult;
  floorRuns?: [number, number];
  /** round trips only: p50 / p99 ms of each leg (nonce request, quote on the agent, evidence request) */
  legs?: Record<'nonce' | 'quote' | 'evidence', { p50: number; p99: number }>;
}

export interface AttestationFleetRun {
  store: string;
  agents: number;
  rounds: number;
  rows: RoundTripRow[];
  loadAverage: [number, number];
}

interface Agent {
  identity: ClientIdentity;
  tpm: BenchTpm;
}

const json = (method: string, url: string, body?: unknown) => ({
  method,
  url,
  headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
  body: body === undefined ? '' : JSON.stringify(body),
});

async function call(
  transport: Transport,
  method: string,
  url: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const answer = await sendRequest(transport, json(method, url, body), AGENT_TIMEOUT_MS);
  if (answer.status !== 200 && answer.status !== 201)
    throw new Error(`${url}: HTTP ${answer.status} ${answer.body.toString('utf8').slice(0, 300)}`);
  return JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const bytes = (s: unknown): Uint8Array => new Uint8Array(Buffer.from(String(s), 'base64'));

/** AK registration through the routes: the server's MakeCredential challenge, ActivateCredential in software. */
async function registerKeys(fleet: Fleet, agents: readonly Agent[], base: string): Promise<void> {
  await oncePerDevice(
    fleet,
    async (transport, d) => {
      const { tpm } = agents[d]!;
      const challenge = await call(transport, 'POST', `${base}/keys`, {
        akPublic: b64(tpm.akPublic),
        ekPublic: b64(tpm.ekPublic),
      });
      const credential = activateCredentialInSoftware(tpm, {
        credentialBlob: bytes(challenge.credentialBlob),
        secret: bytes(challenge.secret),
      });
      await call(transport, 'POST', `${base}/keys/${String(challenge.id)}/activate`, { credential: b64(credential) });
    },
    { inFlight: 32, what: `registering ${agents.length} AKs` },
  );
}

/** One attestation round trip as the agent makes it; the legs' times pushed to `legs` when given. */
async function roundTrip(
  transport: Transport,
  base: string,
  tpm: BenchTpm,
  legs?: Record<'nonce' | 'quote' | 'evidence', number[]>,
): Promise<void> {
  const t0 = performance.now();
  const nonce = bytes((await call(transport, 'POST', `${base}/nonce`)).nonce);
  const t1 = performance.now();
  const evidence = quoteEvidence(tpm, nonce, PCRS);
  const t2 = performance.now();
  const answer = await call(transport, 'POST', `${base}/evidence`, { nonce: b64(nonce), evidence });
  const status = (answer.result as { status?: unknown } | undefined)?.status;
  if (status !== 'affirming') throw new Error(`evidence: status ${String(status)}`);
  if (legs) {
    legs.nonce.push(t1 - t0);
    legs.quote.push(t2 - t1);
    legs.evidence.push(performance.now() - t2);
  }
}

const legSummary = (xs: number[]) => {
  xs.sort((a, b) => a - b);
  return { p50: percentile(xs, 50), p99: percentile(xs, 99) };
};

export async function runAttestationFleet(
  location: DatabaseLocation,
  store: string,
  o: AttestationFleetOptions,
): Promise<AttestationFleetRun> {
  const server = await startEstServer(location);
  try {
    const ready = server.ready;
    const base = `${ready.estUrl}/device/v1/${BENCH_SKU}/attestation`;
    o.say(`  attestation on ${store}: enrolling ${o.agents} devices over EST…`);
    const identities = await enrollDevices(ready, 'ATT-', o.agents, 32);
    o.say('    release 1.0.0 published with its boot measurements (the reference values)…');
    await publishBenchRelease(ready.apiUrl, ready.token, { bootMeasurements: BOOT_MEASUREMENTS });
    o.say(`    ${o.agents} AKs registered through the routes (credential activation in software)…`);
    const agents: Agent[] = identities.map((identity) => ({ identity, tpm: benchTpm() }));
    const fleet: Fleet = { devices: identities, rootPem: ready.rootPem };
    await registerKeys(fleet, agents, base);
    o.say('    one untimed round trip per device…');
    await oncePerDevice(fleet, (transport, d) => roundTrip(transport, base, agents[d]!.tpm));

    const total = o.agents * o.rounds;
    const loadBefore = loadavg()[0]!;
    const floorBefore = await floorLoads(server, fleet, total, FLOOR_PATH, o.say);
    const rows: RoundTripRow[] = [];
    for (const connections of ['keep-alive', 'per-request'] as const) {
      o.say(`    ${total} round trips, ${connections}…`);
      const legs = { nonce: [] as number[], quote: [] as number[], evidence: [] as number[] };
      const result = await fleetLoad(server, fleet, total, connections, (links, d) =>
        roundTrip(links.device, base, agents[d]!.tpm, legs),
      );
      // keep-alive: fleetLoad's first, untimed pass (one round trip per device, opening its connection) finishes before the timed one starts
      const opened = connections === 'keep-alive' ? o.agents : 0;
      const timed = (xs: number[]) => legSummary(xs.slice(opened));
      rows.push({
        scenario: 'round-trip',
        connections,
        result,
        legs: { nonce: timed(legs.nonce), quote: timed(legs.quote), evidence: timed(legs.evidence) },
      });
    }
    // Service time without queueing: one agent alone, its connection held.
    o.say(`    ${Math.min(total, 200)} round trips by one agent alone, keep-alive…`);
    const alone = { nonce: [] as number[], quote: [] as number[], evidence: [] as number[] };
    const lone = await fleetLoad(
      server,
      { devices: fleet.devices.slice(0, 1), rootPem: fleet.rootPem },
      Math.min(total, 200),
      'keep-alive',
      (links, d) => roundTrip(links.device, base, agents[d]!.tpm, alone),
    );
    const single = (xs: number[]) => legSummary(xs.slice(1));
    rows.push({
      scenario: 'round-trip',
      alone: true,
      connections: 'keep-alive',
      result: lone,
      legs: { nonce: single(alone.nonce), quote: single(alone.quote), evidence: single(alone.evidence) },
    });
    const floorAfter = await floorLoads(server, fleet, total, FLOOR_PATH, o.say);
    rows.unshift(...floorRows(floorBefore, floorAfter).map((f) => ({ scenario: 'floor' as const, ...f })));
    return { store, agents: o.agents, rounds: o.rounds, rows, loadAverage: [loadBefore, loadavg()[0]!] };
  } finally {
    await server.stop();
  }
}
