import type { Kysely } from 'kysely';
import type { KeyAlgorithm } from '../crypto/key-algorithm.ts';
import type { WrappedKeyRecord, WrappedKeyRepository } from '../crypto/software-key-store.ts';
import type { Database } from './schema.types.ts';

/** Wrapped (AES-256-GCM) private keys; the clear key never reaches this table. */
export class KeyRepository implements WrappedKeyRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insertWrappedKey(r: WrappedKeyRecord): Promise<void> {
    await this.#db.insertInto('keys').values({ id: r.id, algorithm: r.algorithm, purpose: r.purpose, spki: r.spki, wrapped: r.wrapped, created_at: r.createdAt }).execute();
  }

  async findWrappedKey(id: string): Promise<WrappedKeyRecord | undefined> {
    const r = await this.#db.selectFrom('keys').selectAll().where('id', '=', id).executeTakeFirst();
    return r && { id: r.id, algorithm: r.algorithm as KeyAlgorithm, purpose: r.purpose, spki: new Uint8Array(r.spki), wrapped: new Uint8Array(r.wrapped), createdAt: r.created_at };
  }
}
