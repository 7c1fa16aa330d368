// `npm run bench [-- --n 2000] [--in-flight 256] [--clients 16] [--database-url postgres://…] [--only service,http,cfssl,step-ca,est,ledger,revocation,ocsp,updates,vulns,ssh,attestation]`
//   step-ca: built by `bash bench/peers/build-step-ca.sh` (skipped with a line when it is not);
//   est-tls (not in the default list): trustplane's EST simpleenroll over TLS keep-alive as a row of
//   the issuance table, next to step-ca's HTTPS figure
//   est: [--est-n 10000] [--est-clients 32] (est.ts: EST simpleenroll over TLS, keep-alive and a
//   handshake per request, and `trustplane-agent simulate`)
//   ledger: [--ledger-sizes 100000,1000000,10000000] [--ledger-n 100000] [--ledger-single 1000] [--ledger-batch 1000] [--ledger-proofs 1000] [--ledger-proof-stores pglite,postgres]
//   (ledger.ts; the proofs run on PostgreSQL only when a URL is given)
//   vulns: [--vulns-sizes 10000,500,2000,1000000] [--vulns-pglite-sizes …] (vulns.ts: advisories, releases,
//   components per release, devices; OSV import and release matching, the affected-device list)
//   ocsp: [--ocsp-n 1000] [--ocsp-seconds 10] [--ocsp-connections 16,64] (ocsp.ts: wrk against the
//   OCSP route, OpenSSL's responder and the HTTP floors; needs wrk and openssl)
//   revocation: [--revocation-sizes 0,10000,100000,1000000] [--revocation-samples 1000] [--revocation-api 10000]
//   updates: [--updates-devices 1000,1000000] [--updates-agents 1000] [--updates-check-rounds 5] [--updates-stage 10]
//   (updates.ts: publication and timestamp re-signs, next to raw Ed25519 / ML-DSA-65 signing;
//   update-checks.ts: that many agents checking at once, next to the same server's TLS handshake rate)
//   (revocation.ts: revoke latency as revoked certificates accumulate, complete and delta CRL builds)
//   attestation: [--attestation-agents 500] [--attestation-rounds 2] [--attestation-seconds 2] [--attestation-releases 10]
//   (attestation.ts: TPM quotes and claims tokens verified per second next to raw ECDSA P-256 and
//   Ed25519 verifies; that many agents' nonce → quote → evidence round trips next to the TLS floor)
//   ssh: (ssh.ts: OpenSSH certificates signed per second next to raw Ed25519 signing; KRLs of
//   100,000 revoked serials: build, size, ssh-keygen -Q, the agent's refresh; needs ssh-keygen)
//
// Issuance of N distinct ECDSA P-256 CSRs through the service layer (PGlite on disk; PostgreSQL
// when a URL is given) and over HTTP, next to figures measured in the same run: the limit
// (Node's raw P-256 sign + verify pairs per second on one core) and the peers, `cfssl serve` and
// step-ca (issue 11), with each server's CPU per certificate.
// Performance is printed, never asserted: see docs/benchmarks.md.
import { printUpdatesTable, runUpdatesBench, type SigningLimit, type UpdatesRow } from './updates.ts';
import { printUpdateCheckTable } from './update-check-table.ts';
import { runUpdateChecks, type UpdateChecksRun } from './update-checks.ts';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { runCfsslIssuance } from './cfssl-issuance.ts';
import { runEstEnrollment } from './est-enrollment.ts';
import { printEstTable, runEstFloor, runEstScenarios, type EstRow } from './est.ts';
import { freshPglite, freshPostgres, makeCsrs, openPrepared, type BenchCsr, type BenchDatabase } from './fixtures.ts';
import { runHttpIssuance } from './http-issuance.ts';
import { measureHashLimit, printLedgerTables, runLedgerAppends, runLedgerProofs, type AppendRow, type ProofRow } from './ledger.ts';
import { runServiceIssuance } from './issuance.ts';
import { printRevocationTables, runRevocationBench, type CrlRow, type RevocationRow } from './revocation.ts';
import { measureSignRate, measureSignVerifyLimit } from './limit.ts';
import { STEP_CA_NOT_BUILT } from './peers/step-ca.ts';
import { runStepCaIssuance } from './step-ca-issuance.ts';
import type { IssuanceResult, Throughput } from './stats.ts';
import { runOcspBench } from './ocsp.ts';
import { runVulnsBenches } from './vulns.ts';
import { runSshBench } from './ssh.ts';
import { runAttestationBench } from './attestation.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '20000' },
    'in-flight': { type: 'string', default: '256' }, // two issuance batches: CSR checks overlap with the unit of work
    clients: { type: 'string', default: '16' },
    'database-url': { type: 'string' },
    only: { type: 'string', default: 'service,http,cfssl,step-ca,est,ledger,revocation,ocsp,updates,vulns,ssh,attestation' },
    'updates-devices': { type: 'string', default: '1000,1000000' },
    'updates-agents': { type: 'string', default: '1000' },
    'updates-check-rounds': { type: 'string', default: '5' },
    'updates-stage': { type: 'string', default: '10' },
    'est-n': { type: 'string', default: '10000' },
    'est-clients': { type: 'string', default: '32' },
    'ledger-sizes': { type: 'string', default: '100000,1000000' },
    'ledger-n': { type: 'string', default: '100000' },
    'ledger-single': { type: 'string', default: '1000' },
    'ledger-batch': { type: 'string', default: '1000' },
    'ledger-proofs': { type: 'string', default: '1000' },
    'ledger-proof-stores': { type: 'string', default: 'pglite,postgres' },
    'revocation-sizes': { type: 'string', default: '0,10000,100000,1000000' },
    'revocation-samples': { type: 'string', default: '1000' },
    'revocation-api': { type: 'string', default: '10000' },
    'ocsp-n': { type: 'string', default: '1000' },
    'ocsp-seconds': { type: 'string', default: '10' },
    'ocsp-connections': { type: 'string', default: '16,64' },
    'vulns-sizes': { type: 'string', default: '10000,500,2000,1000000' },
    'vulns-pglite-sizes': { type: 'string', default: '10000,100,2000,100000' },
    'attestation-agents': { type: 'string', default: '500' },
    'attestation-rounds': { type: 'string', default: '2' },
    'attestation-seconds': { type: 'string', default: '2' },
    'attestation-releases': { type: 'string', default: '10' },
  },
});
const n = positive('n', values.n);
const inFlight = positive('in-flight', values['in-flight']);
const clients = positive('clients', values.clients);
const databaseUrl = values['database-url'] ?? process.env.DATABASE_URL;
const only = new Set(values.only.split(','));
const issuance = ['service', 'http', 'cfssl', 'step-ca', 'est-tls'].some((s) => only.has(s));
const estN = positive('est-n', values['est-n']);
const estClients = positive('est-clients', values['est-clients']);
const ledgerSizes = values['ledger-sizes'].split(',').map((v) => positive('ledger-sizes', v));
const ledgerOptions = {
  batched: positive('ledger-n', values['ledger-n']),
  single: positive('ledger-single', values['ledger-single']),
  batch: positive('ledger-batch', values['ledger-batch']),
};
const ledgerProofs = positive('ledger-proofs', values['ledger-proofs']);
const proofStores = new Set(values['ledger-proof-stores'].split(','));

function positive(name: string, v: string): number {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 1) throw new Error(`--${name} must be a positive integer`);
  return x;
}

const say = (s: string): void => void process.stderr.write(s + '\n');

interface Row {
  scenario: string;
  result: IssuanceResult | 'not installed' | 'not built';
  /** What the server CPU cell leaves out, when it leaves something out. */
  cpuNote?: string;
}

async function withDatabase<T>(make: () => BenchDatabase | Promise<BenchDatabase>, run: (db: BenchDatabase) => Promise<T>): Promise<T> {
  const db = await make();
  try {
    return await run(db);
  } finally {
    await db.dispose();
  }
}

async function service(db: BenchDatabase, csrs: readonly BenchCsr[]): Promise<Row> {
  say(`  service layer on ${db.label}: registering ${csrs.length} devices…`);
  const { tp, product } = await openPrepared(db.location, csrs.length);
  try {
    say(`  service layer on ${db.label}: issuing (${inFlight} in flight)…`);
    return { scenario: `service layer, ${db.label}, ${inFlight} in flight`, result: await runServiceIssuance(tp, product, csrs, inFlight) };
  } finally {
    await tp.close();
  }
}

async function http(db: BenchDatabase, csrs: readonly BenchCsr[]): Promise<Row> {
  say(`  HTTP on ${db.label}: server process registering ${csrs.length} devices, then ${clients} clients…`);
  return { scenario: `HTTP, ${db.label}, ${clients} clients`, result: await runHttpIssuance(db.location, csrs, clients) };
}

say(`trustplane bench: n=${n}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`);
// The /v1 HTTP enroll figure per store, for the EST table's ratio.
const httpByStore = new Map<string, Throughput>();
if (issuance) await issuanceBench();

async function issuanceBench(): Promise<void> {
  say('limit: raw ECDSA P-256 sign + verify on one core…');
  const limitBefore = measureSignVerifyLimit();

  say(`making ${n} distinct P-256 CSRs…`);
  const t0 = performance.now();
  const csrs = makeCsrs(n);
  say(`  ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const rows: Row[] = [];
  if (only.has('service')) {
    rows.push(await withDatabase(freshPglite, (db) => service(db, csrs)));
    if (databaseUrl) rows.push(await withDatabase(() => freshPostgres(databaseUrl), (db) => service(db, csrs)));
  }
  if (only.has('http')) {
    const httpRun = async (db: BenchDatabase): Promise<Row> => {
      const row = await http(db, csrs);
      if (typeof row.result === 'object' && row.result.errors === 0) httpByStore.set(db.label, row.result);
      return row;
    };
    rows.push(await withDatabase(freshPglite, httpRun));
    if (databaseUrl) rows.push(await withDatabase(() => freshPostgres(databaseUrl), httpRun));
  }
  let cfssl: Throughput | undefined;
  if (only.has('cfssl')) {
    say(`  cfssl serve: ${clients} clients…`);
    cfssl = await runCfsslIssuance(csrs, clients, 2);
    if (cfssl === undefined) say('  cfssl not installed (Debian: apt-get install golang-cfssl); skipped');
    rows.push({ scenario: `cfssl serve (HTTP), ${clients} clients`, result: cfssl ?? 'not installed' });
    // As shipped: cfssl's own default log level (info) writes a line per request, as trustplane's
    // default (info) does. The × cfssl column stays against the faster run above.
    say(`  cfssl serve at its default log level: ${clients} clients…`);
    const shipped = await runCfsslIssuance(csrs, clients, 1);
    rows.push({ scenario: `cfssl serve (HTTP), its default log level (info), ${clients} clients`, result: shipped ?? 'not installed' });
  }
  let stepCa: Throughput | undefined;
  const notes: string[] = [];
  if (only.has('step-ca')) {
    // No "logger" in ca.json: no line per request, as trustplane at 'warn' and cfssl at warning.
    // The × step-ca column is against this run.
    say(`  step-ca (HTTPS, badger on disk): minting ${n} one-time tokens, then ${clients} clients…`);
    const quiet = await runStepCaIssuance(csrs, clients, { requestLog: false });
    if (quiet === undefined) {
      say(`  ${STEP_CA_NOT_BUILT}`);
      notes.push(STEP_CA_NOT_BUILT);
      rows.push({ scenario: `step-ca (HTTPS), ${clients} clients`, result: 'not built' });
    } else {
      stepCa = quiet.result;
      rows.push({ scenario: `step-ca (HTTPS), ${clients} clients`, result: quiet.result });
      say(`  step-ca with the logger \`step ca init\` configures (a line per request): ${clients} clients…`);
      const logged = await runStepCaIssuance(csrs, clients, { requestLog: true });
      if (logged) rows.push({ scenario: `step-ca (HTTPS), its request log (step ca init's), ${clients} clients`, result: logged.result });
      notes.push(
        `step-ca ${quiet.version} (Debian's Go sources, bench/peers/build-step-ca.sh): JWK provisioner, a one-time token per CSR minted before the clock; ` +
          'badger v2 on disk (SyncWrites on: Debian ships badger 2.2007), storing the token id and the certificate; TLS 1.3 keep-alive, its own TLS certificate for 127.0.0.1.',
      );
    }
  }
  if (only.has('est-tls')) {
    // trustplane over TLS, as step-ca is: EST simpleenroll with a one-time token per device (Basic),
    // keep-alive. Its CSRs and tokens are its own (est-enrollment.ts), made before the clock.
    const estRun = async (db: BenchDatabase): Promise<Row> => {
      say(`  EST simpleenroll over TLS on ${db.label}, keep-alive:`);
      const r = await runEstEnrollment(db.location, n, clients, 'keep-alive', say);
      return {
        scenario: `EST simpleenroll (HTTPS), ${db.label}, ${clients} clients`,
        result: { ...r, serverCpuMsPerCert: r.serverCpuMs },
        ...(db.location.kind === 'postgres' ? { cpuNote: 'PostgreSQL not counted' } : {}),
      };
    };
    rows.push(await withDatabase(freshPglite, estRun));
    if (databaseUrl) rows.push(await withDatabase(() => freshPostgres(databaseUrl), estRun));
  }

  say('limit again, after the scenarios…');
  const limitAfter = measureSignVerifyLimit();
  // The higher of the two: the ratios then err on the modest side.
  const limit = Math.max(limitBefore, limitAfter);

  const ratio = (perSecond: number, to: Throughput | undefined): string => (to ? (perSecond / to.perSecond).toFixed(2) : '');
  const table: string[][] = [['scenario', 'certs/s', 'p50 ms', 'p99 ms', '× limit', '× cfssl', '× step-ca', 'server CPU ms/cert', 'errors']];
  table.push([`limit: Node P-256 sign+verify, 1 core (${limitBefore.toFixed(0)} / ${limitAfter.toFixed(0)})`, limit.toFixed(0), '', '', '1.00', ratio(limit, cfssl), ratio(limit, stepCa), '', '']);
  for (const { scenario, result, cpuNote } of rows) {
    if (result === 'not installed' || result === 'not built') {
      table.push([scenario, result, '', '', '', '', '', '', '']);
      continue;
    }
    table.push([
      scenario,
      result.perSecond.toFixed(0),
      result.p50Ms.toFixed(1),
      result.p99Ms.toFixed(1),
      (result.perSecond / limit).toFixed(2),
      ratio(result.perSecond, cfssl),
      ratio(result.perSecond, stepCa),
      serverCpuCell(result, cpuNote),
      String(result.errors),
    ]);
  }
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  const line = (r: string[]): string => `| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  console.log(`\n${n} ECDSA P-256 certificates per scenario, ${new Date().toISOString().slice(0, 10)}\n`);
  console.log(line(table[0]!));
  console.log(`|${widths.map((w, c) => (c === 0 ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':')).join('|')}|`);
  for (const r of table.slice(1)) console.log(line(r));
  console.log(
    '\nserver CPU: user + system of the server process, all threads, around the timed load; on PostgreSQL plus the whole ' +
      "cluster's (postmaster and children, /proc), shown as server + PG. trustplane's /v1 rows are plain HTTP; step-ca serves HTTPS only.",
  );
  for (const note of notes) console.log(note);

  for (const { scenario, result } of rows) {
    if (result !== 'not installed' && result !== 'not built' && result.errors > 0) {
      console.log(`\n${scenario}: ${result.errors} errors; first: ${result.firstError ?? '?'}`);
      process.exitCode = 1;
    }
  }
}

/** Server CPU per certificate: with PostgreSQL's, `total (server + PG database)`. */
function serverCpuCell(result: IssuanceResult, note: string | undefined): string {
  const server = result.serverCpuMsPerCert;
  if (server === undefined) return '';
  const database = result.databaseCpuMsPerCert;
  const cell = database === undefined ? server.toFixed(2) : `${(server + database).toFixed(2)} (${server.toFixed(2)} + PG ${database.toFixed(2)})`;
  return note ? `${cell}, ${note}` : cell;
}

if (only.has('est')) {
  say(`EST enrollment: ${estN} devices per scenario, ${estClients} clients…`);
  const rows: EstRow[] = [];
  const on = (make: () => BenchDatabase | Promise<BenchDatabase>) => ({ withDatabase: <T>(run: (db: BenchDatabase) => Promise<T>) => withDatabase(make, run) });
  const options = { n: estN, clients: estClients, say };
  rows.push(...(await runEstFloor({ ...options, ...on(freshPglite) })));
  rows.push(...(await runEstScenarios({ ...options, ...on(freshPglite) })));
  if (databaseUrl) rows.push(...(await runEstScenarios({ ...options, ...on(() => freshPostgres(databaseUrl)) })));
  if (!printEstTable(rows, httpByStore, clients)) process.exitCode = 1;
}

if (only.has('ledger')) {
  say('ledger: limit, SHA-256 leaf + node hashing on one core…');
  const hashBefore = measureHashLimit();
  const appends: AppendRow[] = [];
  const signing: { label: string; result: Throughput }[] = [];
  const proofs: ProofRow[] = [];
  const appendRun = async (db: BenchDatabase): Promise<void> => {
    const r = await runLedgerAppends(db, ledgerOptions);
    appends.push(...r.rows);
    signing.push({ label: db.label, result: r.signing });
  };
  await withDatabase(freshPglite, appendRun);
  if (databaseUrl) await withDatabase(() => freshPostgres(databaseUrl), appendRun);
  for (const size of ledgerSizes) {
    if (proofStores.has('pglite')) proofs.push(await withDatabase(freshPglite, (db) => runLedgerProofs(db, size, ledgerProofs)));
    if (proofStores.has('postgres') && databaseUrl)
      proofs.push(await withDatabase(() => freshPostgres(databaseUrl), (db) => runLedgerProofs(db, size, ledgerProofs)));
  }
  const hashLimit = Math.max(hashBefore, measureHashLimit());
  printLedgerTables(hashLimit, appends, signing, proofs);
}

if (only.has('revocation')) {
  say('revocation at fleet scale…');
  const options = {
    sizes: values['revocation-sizes'].split(',').map((v) => Number(v)),
    samples: positive('revocation-samples', values['revocation-samples']),
    apiRevocations: Number(values['revocation-api']),
    say,
  };
  const revokes: RevocationRow[] = [];
  const crls: CrlRow[] = [];
  const run = async (db: BenchDatabase): Promise<void> => {
    const r = await runRevocationBench(db, options);
    revokes.push(...r.revokes);
    crls.push(...r.crls);
  };
  await withDatabase(freshPglite, run);
  if (databaseUrl) await withDatabase(() => freshPostgres(databaseUrl), run);
  printRevocationTables(revokes, crls);
}

if (only.has('updates')) {
  say('signed updates: limit, raw Ed25519 and ML-DSA-65 signatures on one core…');
  const signing = (): SigningLimit => ({ ed25519PerSecond: measureSignRate('ed25519'), mlDsa65PerSecond: measureSignRate('ml-dsa-65') });
  const signingBefore = signing();
  const rows: UpdatesRow[] = [];
  for (const devices of values['updates-devices'].split(',').map((v) => Number(v))) {
    await withDatabase(freshPglite, async (db) => void rows.push(await runUpdatesBench(db, devices, say)));
    if (databaseUrl) await withDatabase(() => freshPostgres(databaseUrl), async (db) => void rows.push(await runUpdatesBench(db, devices, say)));
  }
  const checks = {
    agents: positive('updates-agents', values['updates-agents']),
    rounds: positive('updates-check-rounds', values['updates-check-rounds']),
    stagePct: positive('updates-stage', values['updates-stage']),
    say,
  };
  if (checks.stagePct > 100) throw new Error('--updates-stage is a percentage');
  const checkRuns: UpdateChecksRun[] = [];
  await withDatabase(freshPglite, async (db) => void checkRuns.push(await runUpdateChecks(db.location, db.label, checks)));
  if (databaseUrl) await withDatabase(() => freshPostgres(databaseUrl), async (db) => void checkRuns.push(await runUpdateChecks(db.location, db.label, checks)));
  say('signed updates: limit again, after the scenarios…');
  const signingAfter = signing();
  // The higher of the two: the ratios then err on the modest side.
  const limit = {
    ed25519PerSecond: Math.max(signingBefore.ed25519PerSecond, signingAfter.ed25519PerSecond),
    mlDsa65PerSecond: Math.max(signingBefore.mlDsa65PerSecond, signingAfter.mlDsa65PerSecond),
  };
  printUpdatesTable(rows, limit);
  if (!printUpdateCheckTable(checkRuns)) process.exitCode = 1;
}

if (only.has('ocsp')) {
  say('OCSP: trustplane, openssl ocsp -port and the HTTP floors under wrk…');
  const ocsp = {
    n: positive('ocsp-n', values['ocsp-n']),
    seconds: positive('ocsp-seconds', values['ocsp-seconds']),
    warmupSeconds: 2,
    connections: values['ocsp-connections'].split(',').map((v) => positive('ocsp-connections', v)),
    threads: 2, // wrk's threads: the bench machine's 2 cores, shared with the server under test
    say,
    stores: [freshPglite, ...(databaseUrl ? [() => freshPostgres(databaseUrl)] : [])].map((make) => <T>(run: (db: BenchDatabase) => Promise<T>) => withDatabase(make, run)),
  };
  if (!(await runOcspBench(ocsp))) process.exitCode = 1;
}

if (only.has('vulns')) {
  const sizes = (name: 'vulns-sizes' | 'vulns-pglite-sizes') => values[name].split(',').map((v) => positive(name, v));
  await runVulnsBenches({ sizes: sizes('vulns-sizes'), pgliteSizes: sizes('vulns-pglite-sizes'), databaseUrl, say, withDatabase });
}

if (only.has('ssh')) {
  say('time-bound SSH access: certificates, KRLs, the agent\'s refresh…');
  await runSshBench();
}

if (only.has('attestation')) {
  say('remote attestation: evidence verification, the round trip of a fleet…');
  const clean = await runAttestationBench({
    agents: positive('attestation-agents', values['attestation-agents']),
    rounds: positive('attestation-rounds', values['attestation-rounds']),
    seconds: positive('attestation-seconds', values['attestation-seconds']),
    releases: positive('attestation-releases', values['attestation-releases']),
    say,
    stores: [freshPglite, ...(databaseUrl ? [() => freshPostgres(databaseUrl)] : [])].map((make) => <T>(run: (db: BenchDatabase) => Promise<T>) => withDatabase(make, run)),
  });
  if (!clean) process.exitCode = 1;
}
