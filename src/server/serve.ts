import { actorName } from '../pki/records.types.ts';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig, type ServeFlags } from './config.ts';
import { startEstListener } from './est/est-listener.ts';
import { loadKek, prepareHome, readTokenFile, writeTokenFile, type DataHome } from './home.ts';
import { Trustplane } from './trustplane.ts';
import { TrustplaneError } from '../core/errors.ts';

const MAINTENANCE_INTERVAL_MS = 5 * 60 * 1000;

/** `trustplane serve`: opens the store, creates the root of trust on first run, listens. */
export async function runServe(flags: ServeFlags): Promise<void> {
  let config;
  try {
    config = loadConfig(flags, process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`error: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const home = prepareHome(config.home);
  const { kek, source } = loadKek(home, config.kekBase64);
  const tp = await Trustplane.open({
    database: config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dataDir: home.databaseDir },
    kek,
    identity: { organization: config.organization, rootKeyAlgorithm: config.rootKeyAlgorithm, crlValiditySeconds: config.crlValiditySeconds, ocspValiditySeconds: config.ocspValiditySeconds },
    tokenPolicy: { maxTtlSeconds: config.tokenMaxTtlSeconds, recordCacheSeconds: 2 },
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
  });
  const { rootCreated } = await tp.initialise();
  await tp.maintain(); // a server that was down may find CRLs and responders due
  // The token file exists before the port answers: a client polling /healthz can use it at once.
  const bootstrap = await ensureBootstrapToken(tp, home, config.tokenMaxTtlSeconds);
  // EST first: once /healthz answers, every listener does.
  const est = config.estListen ? await startEstListener(tp, { ...config.estListen, logLevel: config.logLevel, extraNames: publicHost(config.publicUrl) }) : undefined;
  const app = await buildApp(tp, { maxBodyBytes: config.maxBodyBytes, logLevel: config.logLevel });
  const address = await app.listen({ host: config.listenHost, port: config.listenPort });
  if (!tp.publicUrl) tp.setPublicUrl(address);

  const say = (s: string) => process.stderr.write(s + '\n');
  say(`trustplane listening on ${address} (public URL ${tp.publicUrl})`);
  if (est) say(`EST (RFC 7030) listening on ${est.url}/.well-known/est/<product>/ (TLS server certificate from the root CA)`);
  say(`data home: ${home.dir} (${config.databaseUrl ? 'PostgreSQL via DATABASE_URL' : 'embedded PGlite'})`);
  if (rootCreated) say(`created the root CA; CA keys are wrapped under the key-encryption key from ${source} — back it up`);
  if (bootstrap) say(`bootstrap admin token (expires ${bootstrap.toISOString()}) written to ${home.tokenFile}`);

  const refresh = setInterval(() => {
    void est?.refreshTls().catch((err: unknown) => app.log.error({ err }, 'EST TLS certificate renewal failed'));
    void tp.maintain().then(
      (done) => done.respondersRotated.length > 0 && app.log.info(done, 'maintenance'),
      (err: unknown) => app.log.error({ err }, 'maintenance failed'),
    );
  }, MAINTENANCE_INTERVAL_MS);
  refresh.unref();

  // Integration is apart from sequencing (tessera): events are sequenced in their transactions,
  // and folded into the Merkle tree, with a signed checkpoint, every second.
  const stopLedger = tp.ledger.startIntegrationLoop(1000, (err: unknown) => app.log.error({ err }, 'ledger integration failed'));

  const stop = async () => {
    clearInterval(refresh);
    await stopLedger();
    await est?.close();
    await app.close();
    await tp.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

function publicHost(url: string | undefined): string[] {
  try {
    return url ? [new URL(url).hostname.replace(/^\[|\]$/g, '')] : [];
  } catch {
    return [];
  }
}

/** A short-lived admin token (the policy's longest lifetime) for the operator at the console; re-minted when the last one lapsed. */
async function ensureBootstrapToken(tp: Trustplane, home: DataHome, ttlSeconds: number): Promise<Date | undefined> {
  const existing = readTokenFile(home);
  if (existing) {
    try {
      await tp.tokens.authenticate(existing);
      return undefined;
    } catch (e) {
      if (!(e instanceof TrustplaneError)) throw e;
    }
  }
  const { record, secret } = await tp.tokens.create(
    { role: 'admin', owner: 'bootstrap', ttlSeconds },
    actorName({ kind: 'system', name: 'serve' }),
  );
  writeTokenFile(home, secret);
  return record.expiresAt;
}
