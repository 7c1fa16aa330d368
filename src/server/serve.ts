import { constants } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { TrustplaneError } from '../core/errors.ts';
import { actorName } from '../pki/records.types.ts';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig, type ServeFlags, type ServerConfig } from './config.ts';
import { startEstListener, type EstListener } from './est/est-listener.ts';
import { homeInUse, lockHome, type HomeLock } from './home-lock.ts';
import { createHome, loadKek, locateHome, removeHome, writeTokenFile, type DataHome } from './home.ts';
import { assertListenable, LISTEN_BACKLOG, listenFailure, type ListenAddress } from './listen-check.ts';
import { logDestination } from './log-output.ts';
import { StartError } from './start-error.ts';
import { Trustplane } from './trustplane.ts';

const MAINTENANCE_INTERVAL_MS = 5 * 60 * 1000;
/** A graceful stop still waiting after this (a request that never ends) is cut short. */
const STOP_DEADLINE_MS = 10_000;

/** Progress and outcome lines for the operator; stdout carries the request logs. */
function say(line: string): void {
  process.stderr.write(line + '\n');
}

/** What a start has made so far, undone when it fails. */
interface Opened {
  /** the home this start created, while nothing outside it depends on it */
  createdHome?: DataHome;
  lock?: HomeLock;
  tp?: Trustplane;
  est?: EstListener;
  app?: FastifyInstance;
}

interface Running {
  tp: Trustplane;
  app: FastifyInstance;
  est: EstListener | undefined;
  lock: HomeLock | undefined;
}

/**
 * `trustplane serve`: checks the ports, opens (or creates) the home and its store, creates the
 * root of trust on first run, listens, and stops gracefully on SIGTERM/SIGINT. A start that
 * fails prints one line, undoes what it made and exits 1: it never stays half up.
 */
export async function runServe(flags: ServeFlags): Promise<void> {
  const opened: Opened = {};
  // A signal before the server answers: nothing is in flight, stop at once.
  const stopStarting = (signal: NodeJS.Signals): void => {
    say(`${signal} while starting: stopped`);
    opened.lock?.release();
    if (opened.createdHome) removeHome(opened.createdHome);
    process.exit(signalExitCode(signal));
  };
  process.once('SIGINT', stopStarting).once('SIGTERM', stopStarting);
  let running: Running;
  try {
    running = await start(flags, opened);
  } catch (e) {
    say(`error: ${failureLine(e)}`);
    await undo(opened);
    process.exit(1);
  }
  process.off('SIGINT', stopStarting).off('SIGTERM', stopStarting);
  serveUntilSignalled(running);
}

async function start(flags: ServeFlags, opened: Opened): Promise<Running> {
  const config = loadConfig(flags, process.env);
  const embedded = config.databaseUrl === undefined;
  const api: ListenAddress = { role: 'API', host: config.listenHost, port: config.listenPort, flag: '--listen' };
  const estAt: ListenAddress | undefined = config.estListen && { role: 'EST', ...config.estListen, flag: '--est-listen (or --est-listen off)' };
  await assertListenable(estAt ? [api, estAt] : [api]);

  const home = locateHome(config.home);
  if (createHome(home)) {
    opened.createdHome = home;
    say(`creating the data home ${home.dir} …`);
  }
  // With DATABASE_URL the home holds only the KEK and token files, and several servers share the
  // database by design: only the embedded store, which one process at a time may open, is locked.
  if (embedded) opened.lock = lockEmbeddedHome(home);
  const { kek, source } = loadKek(home, config.kekBase64);
  say(embedded ? `opening the embedded database in ${home.databaseDir}${opened.createdHome ? ' (first start: creating it takes a while)' : ''} …` : 'connecting to PostgreSQL (DATABASE_URL) …');
  const tp = (opened.tp = await Trustplane.open({
    database: embedded ? { kind: 'pglite', dataDir: home.databaseDir } : { kind: 'postgres', url: config.databaseUrl },
    kek,
    identity: { organization: config.organization, rootKeyAlgorithm: config.rootKeyAlgorithm, crlValiditySeconds: config.crlValiditySeconds, ocspValiditySeconds: config.ocspValiditySeconds },
    tokenPolicy: { maxTtlSeconds: config.tokenMaxTtlSeconds, recordCacheSeconds: 2 },
    crl: { batchDelaySeconds: config.crlBatchDelaySeconds, fullIntervalSeconds: config.crlFullIntervalSeconds },
    // Release images: files in the home beside the embedded store; in PostgreSQL with DATABASE_URL.
    home: home.dir,
    updates: { maxImageBytes: config.maxImageBytes },
    attestation: { noncesPerHour: config.attestationNoncesPerHour },
    securityContact: config.securityContact,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
  }));
  if (!(await tp.identity.store.findRootCa())) say(`creating the root CA (${config.rootKeyAlgorithm}) …`);
  const { rootCreated } = await tp.initialise();
  if (rootCreated) {
    say(`root CA created; CA keys are wrapped under the key-encryption key from ${source} — back it up`);
    // A root in a PostgreSQL database is unwrapped by this home's KEK file: the home must now outlive a failed start.
    if (!embedded) delete opened.createdHome;
    // The token file exists before the port answers: a client polling /healthz can use it at once.
    const expiresAt = await createBootstrapToken(tp, home, config.tokenMaxTtlSeconds);
    say(`bootstrap admin token (expires ${expiresAt.toISOString()}) written to ${home.tokenFile}; it is made this once: later admin tokens come from \`trustplane token create\`, or \`trustplane admin recover\` on this host`);
  }
  await tp.maintain(); // a server that was down may find CRLs and responders due

  const logStream = logDestination(config.logFormat, process.stdout.isTTY === true);
  const logs = { logLevel: config.logLevel, ...(logStream ? { logStream } : {}) };
  // EST first: once /healthz answers, every listener does.
  if (config.estListen && estAt) {
    const estOptions = { ...config.estListen, ...logs, extraNames: publicHost(config.publicUrl) };
    opened.est = await startEstListener(tp, estOptions).catch((e: unknown) => {
      throw listenFailure(estAt, e);
    });
  }
  const app = (opened.app = await buildApp(tp, { maxBodyBytes: config.maxBodyBytes, crlCacheMaxAgeSeconds: config.crlCacheMaxAgeSeconds, ...logs }));
  const address = await app.listen({ host: config.listenHost, port: config.listenPort, backlog: LISTEN_BACKLOG }).catch((e: unknown) => {
    throw listenFailure(api, e);
  });
  if (!tp.publicUrl) tp.setPublicUrl(address);

  say(`trustplane listening on ${address} (public URL ${tp.publicUrl})`);
  if (opened.est) say(`EST (RFC 7030) listening on ${opened.est.url}/.well-known/est/<product>/ (TLS server certificate from the root CA)`);
  say(`data home: ${home.dir} (${storeLine(config)})`);
  return { tp, app, est: opened.est, lock: opened.lock };
}

function lockEmbeddedHome(home: DataHome): HomeLock {
  const attempt = lockHome(home);
  if (attempt.held) return attempt.lock;
  throw new StartError(`${homeInUse(home, attempt.holderPid)}; one server at a time may open an embedded store (several may share one PostgreSQL database via DATABASE_URL)`);
}

function storeLine(config: ServerConfig): string {
  return config.databaseUrl
    ? 'PostgreSQL via DATABASE_URL'
    : 'embedded PGlite: survives a process crash but not a power loss, as PGlite never calls fsync; production runs on PostgreSQL with fsync on, via DATABASE_URL';
}

function serveUntilSignalled({ tp, app, est, lock }: Running): void {
  const refresh = setInterval(() => {
    void est?.refreshTls().catch((err: unknown) => app.log.error({ err }, 'EST TLS certificate renewal failed'));
    void tp.maintain().then(
      (done) => done.respondersRotated.length > 0 && app.log.info(done, 'maintenance'),
      (err: unknown) => app.log.error({ err }, 'maintenance failed'),
    );
  }, MAINTENANCE_INTERVAL_MS);
  refresh.unref();

  // RFC 5280 §5: status changes reach the CRLs in batches, at most one delay after they commit.
  let crlRun: Promise<unknown> = Promise.resolve();
  const crlBatches = setInterval(() => {
    crlRun = crlRun.then(() =>
      tp.issueDueCrls().then(
        (issued) => issued.length > 0 && app.log.info({ crls: issued.map((c) => ({ ca: c.caId, number: c.crlNumber.toString(), kind: c.kind, entries: c.entries })) }, 'CRLs issued'),
        (err: unknown) => app.log.error({ err }, 'CRL issuance failed'),
      ),
    );
  }, tp.crls.policy.batchDelaySeconds * 1000);
  crlBatches.unref();

  // Integration is apart from sequencing (tessera): events are sequenced in their transactions,
  // and folded into the Merkle tree, with a signed checkpoint, every second.
  const stopLedger = tp.ledger.startIntegrationLoop(1000, (err: unknown) => app.log.error({ err }, 'ledger integration failed'));

  // Listeners first: they take no new requests and wait for those in flight, whose writes
  // reach the store; then the ledger loop and the store close.
  const stop = async (): Promise<void> => {
    clearInterval(refresh);
    clearInterval(crlBatches);
    await Promise.all([app.close(), est?.close()]);
    await crlRun;
    await stopLedger();
    await tp.close();
    lock?.release();
  };
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      say(`${signal} again: exiting without waiting`);
      process.exit(signalExitCode(signal));
    }
    stopping = true;
    say(`${signal}: stopping (requests in flight finish, then the database closes; a second ${signal} exits at once) …`);
    setTimeout(() => {
      say(`error: still stopping after ${STOP_DEADLINE_MS / 1000} s: exiting without waiting`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    stop().then(
      () => {
        say('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        say(`error: while stopping: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
}

/** Best effort, after the failure line: each step alone, so one that fails does not leave the others. */
async function undo(opened: Opened): Promise<void> {
  const steps = [() => opened.app?.close(), () => opened.est?.close(), () => opened.tp?.close(), () => opened.lock?.release()];
  for (const step of steps) await Promise.resolve().then(step).catch(() => undefined);
  if (opened.createdHome) removeHome(opened.createdHome);
}

function failureLine(e: unknown): string {
  if (e instanceof StartError || e instanceof ConfigError) return e.message;
  const line = e instanceof TrustplaneError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
  // A fault of ours rather than the operator's: the stack helps whoever debugs it.
  return process.env.TRUSTPLANE_LOG_LEVEL === 'debug' && e instanceof Error && e.stack ? `${line}\n${e.stack}` : line;
}

function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}

function publicHost(url: string | undefined): string[] {
  try {
    return url ? [new URL(url).hostname.replace(/^\[|\]$/g, '')] : [];
  } catch {
    return [];
  }
}

/**
 * The one admin token a new root of trust comes with, for the operator at the console: the token
 * policy's longest lifetime, made once. A later start never makes another (a revoked one stays
 * revoked); `trustplane admin recover` makes one, logged, on the host.
 */
async function createBootstrapToken(tp: Trustplane, home: DataHome, ttlSeconds: number): Promise<Date> {
  const { record, secret } = await tp.tokens.create({ role: 'admin', owner: 'bootstrap', ttlSeconds }, actorName({ kind: 'system', name: 'serve' }));
  writeTokenFile(home, secret);
  return record.expiresAt;
}
