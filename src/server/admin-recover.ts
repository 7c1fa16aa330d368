import { existsSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { ApiTokens } from '../access/api-tokens.ts';
import { systemClock } from '../core/clock.ts';
import { systemRandom } from '../core/random.ts';
import { actorName } from '../pki/records.types.ts';
import { openDatabase, type DatabaseLocation } from '../store/database.ts';
import { IdentityRepository } from '../store/identity-repository.ts';
import { TokenRepository } from '../store/token-repository.ts';
import { loadConfig } from './config.ts';
import { homeInUse, lockHome, type HomeLock } from './home-lock.ts';
import { locateHome, writeTokenFile, type DataHome } from './home.ts';
import { StartError } from './start-error.ts';

export interface RecoveredAdmin {
  tokenId: string;
  expiresAt: Date;
  tokenFile: string;
  /** as the ledger's token.created event names it */
  actor: string;
}

/**
 * `trustplane admin recover`: a new admin token for an operator who has lost admin access (the
 * bootstrap token revoked or expired, no other admin). Access to the home's files on the host is
 * the proof, as it is for the KEK beside it; the token is written there (0600), never printed,
 * and recorded in the ledger like any other (`token.created`, actor `system:admin-recover (user@host)`).
 *
 * On the embedded store it takes the home's lock, so it refuses while a server runs (naming its
 * PID): stop the server, or use `trustplane token create` through it. With DATABASE_URL it works
 * through the database, running servers or not.
 */
export async function recoverAdmin(flags: { home?: string | undefined }, env: NodeJS.ProcessEnv): Promise<RecoveredAdmin> {
  const config = loadConfig({ home: flags.home }, env);
  const home = locateHome(config.home);
  if (!home.exists) throw new StartError(`no data home at ${home.dir}: give the --home (or TRUSTPLANE_HOME) that \`serve\` runs with`);
  const lock = config.databaseUrl === undefined ? lockEmbeddedStore(home) : undefined;
  try {
    const location: DatabaseLocation = config.databaseUrl === undefined ? { kind: 'pglite', dataDir: home.databaseDir } : { kind: 'postgres', url: config.databaseUrl };
    const database = await openDatabase(location);
    try {
      if (!(await new IdentityRepository(database.db, systemClock).findRootCa())) {
        throw new StartError('this store has no root of trust yet: start `trustplane serve` once, which makes the bootstrap admin token');
      }
      const tokens = new ApiTokens(new TokenRepository(database.db, systemClock), systemClock, systemRandom, { maxTtlSeconds: config.tokenMaxTtlSeconds, recordCacheSeconds: 0 });
      const who = operator();
      const actor = actorName({ kind: 'system', name: `admin-recover (${who})` });
      const { record, secret } = await tokens.create({ role: 'admin', owner: `recovered by ${who}`, ttlSeconds: config.tokenMaxTtlSeconds }, actor);
      writeTokenFile(home, secret);
      return { tokenId: record.id, expiresAt: record.expiresAt, tokenFile: home.tokenFile, actor };
    } finally {
      await database.close();
    }
  } finally {
    lock?.release();
  }
}

function lockEmbeddedStore(home: DataHome): HomeLock {
  // PGlite would create an empty database where none is: a home served with DATABASE_URL has none.
  if (!existsSync(join(home.databaseDir, 'PG_VERSION'))) {
    throw new StartError(`${home.dir} has no embedded database: if its server runs with DATABASE_URL, set DATABASE_URL here too`);
  }
  const attempt = lockHome(home);
  if (attempt.held) return attempt.lock;
  throw new StartError(`${homeInUse(home, attempt.holderPid)}: stop it and run this again, or make an admin token through it with \`trustplane token create\``);
}

/** Who ran the command on this host, for the ledger. */
function operator(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = `uid ${process.getuid?.() ?? 'unknown'}`; // no passwd entry (a container)
  }
  return `${user}@${hostname()}`;
}
