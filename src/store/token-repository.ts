import type { Kysely, Selectable } from 'kysely';
import type { NewAccessPath } from '../access/access-paths.types.ts';
import type { ApiTokenRecord, ApiTokenStore } from '../access/api-tokens.ts';
import type { Clock } from '../core/clock.ts';
import type { Role } from '../core/roles.ts';
import type { EventInput } from '../pki/records.types.ts';
import { insertAccessPath, retireAccessPath } from './access-path-writer.ts';
import { appendEvents } from './event-writer.ts';
import type { Database, TokensTable } from './schema.types.ts';

const toToken = (r: Selectable<TokensTable>): ApiTokenRecord => ({
  id: r.id,
  tokenHash: new Uint8Array(r.token_hash),
  role: r.role as Role,
  owner: r.owner,
  products: typeof r.products === 'string' ? (JSON.parse(r.products) as string[]) : r.products,
  createdBy: r.created_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
});

export class TokenRepository implements ApiTokenStore {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  constructor(db: Kysely<Database>, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  async findTokenByHash(hash: Uint8Array): Promise<ApiTokenRecord | undefined> {
    const r = await this.#db.selectFrom('tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
    return r && toToken(r);
  }

  async listTokens(): Promise<ApiTokenRecord[]> {
    return (await this.#db.selectFrom('tokens').selectAll().orderBy('created_at').execute()).map(toToken);
  }

  async insertToken(t: ApiTokenRecord, event: EventInput, accessPath?: NewAccessPath): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx
        .insertInto('tokens')
        .values({
          id: t.id,
          token_hash: t.tokenHash,
          role: t.role,
          owner: t.owner,
          products: JSON.stringify(t.products),
          created_by: t.createdBy,
          created_at: t.createdAt,
          expires_at: t.expiresAt,
          revoked_at: t.revokedAt,
        })
        .execute();
      await appendEvents(tx, [event], this.#clock.now());
      if (accessPath) await insertAccessPath(tx, accessPath, this.#clock.now());
    });
  }

  /** Registers the paths whose token has none live yet (each with its event); how many were new. */
  async registerAccessPaths(paths: NewAccessPath[]): Promise<number> {
    if (paths.length === 0) return 0;
    return this.#db.transaction().execute(async (tx) => {
      let n = 0;
      for (const p of paths) if ((await insertAccessPath(tx, p, this.#clock.now())).inserted) n++;
      return n;
    });
  }

  async revokeToken(id: string, at: Date, event: EventInput): Promise<boolean> {
    return this.#db.transaction().execute(async (tx) => {
      const r = await tx.updateTable('tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return false;
      await appendEvents(tx, [event], at);
      await retireAccessPath(tx, { systemRef: id }, { by: event.actor, reason: 'token revoked', at });
      return true;
    });
  }
}
