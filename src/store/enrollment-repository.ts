import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Clock } from '../core/clock.ts';
import type {
  BatchSerialRecord,
  BootstrapCaRecord,
  EnrollmentBatchRecord,
  EnrollmentStore,
  EnrollmentUnitOfWork,
} from '../enrollment/enrollment-store.types.ts';
import type { ReprovisionGrant } from '../pki/records.types.ts';
import { runUnitOfWork, type StatusAnnouncement } from './identity-repository.ts';
import type { CertificateStatusListener } from '../pki/certificate-status-listener.ts';
import { bytes } from './identity-rows.ts';
import { IdentityUnitOfWorkImpl } from './identity-unit-of-work.ts';
import type { BootstrapCasTable, Database, EnrollmentBatchesTable } from './schema.types.ts';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

const toBatch = (r: Selectable<EnrollmentBatchesTable>): EnrollmentBatchRecord => ({
  id: r.id,
  productId: r.product_id,
  factory: r.factory,
  validFrom: r.valid_from,
  validUntil: r.valid_until,
  size: r.size,
  createdBy: r.created_by,
  createdAt: r.created_at,
  closedAt: r.closed_at,
  closedBy: r.closed_by,
});

const toBootstrapCa = (r: Selectable<BootstrapCasTable>): BootstrapCaRecord => ({
  id: r.id,
  productId: r.product_id,
  certificate: bytes(r.certificate),
  subject: r.subject,
  fingerprintSha256: bytes(r.fingerprint_sha256),
  notAfter: r.not_after,
  createdBy: r.created_by,
  createdAt: r.created_at,
});

/** The identity unit of work, plus the enrollment tables, in the same transaction. */
class EnrollmentUnitOfWorkImpl extends IdentityUnitOfWorkImpl implements EnrollmentUnitOfWork {
  async insertBatch(b: EnrollmentBatchRecord): Promise<void> {
    this.wrote = true;
    await this.tx
      .insertInto('enrollment_batches')
      .values({
        id: b.id,
        product_id: b.productId,
        factory: b.factory,
        valid_from: b.validFrom,
        valid_until: b.validUntil,
        size: b.size,
        created_by: b.createdBy,
        created_at: b.createdAt,
        closed_at: b.closedAt,
        closed_by: b.closedBy,
      })
      .execute();
  }

  async insertBatchTokens(batch: EnrollmentBatchRecord, tokens: { serial: string; tokenHash: Uint8Array }[]): Promise<void> {
    if (tokens.length === 0) return;
    this.wrote = true;
    await sql`insert into enrollment_tokens (token_hash, batch_id, product_id, serial, expires_at)
      select decode(t.token_hash, 'hex'), ${batch.id}, ${batch.productId}, t.serial, ${batch.validUntil.toISOString()}::timestamptz
      from unnest(${tokens.map((t) => hex(t.tokenHash))}::text[], ${tokens.map((t) => t.serial)}::text[]) as t(token_hash, serial)`.execute(this.tx);
  }

  async lockBatch(id: string): Promise<EnrollmentBatchRecord | undefined> {
    const r = await this.tx.selectFrom('enrollment_batches').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    return r && toBatch(r);
  }

  async serialsWithLiveTokens(productId: string, serials: string[], now: Date): Promise<string[]> {
    const { rows } = await sql<{ serial: string }>`select t.serial from enrollment_tokens t join enrollment_batches b on b.id = t.batch_id
      where t.product_id = ${productId} and t.serial = any(${serials}::text[]) and t.used_at is null
        and b.closed_at is null and b.valid_until > ${now.toISOString()}::timestamptz
      order by t.serial`.execute(this.tx);
    return rows.map((r) => r.serial);
  }

  async unusedSerials(batchId: string): Promise<string[]> {
    const rows = await this.tx.selectFrom('enrollment_tokens').select('serial').where('batch_id', '=', batchId).where('used_at', 'is', null).orderBy('serial').forUpdate().execute();
    return rows.map((r) => r.serial);
  }

  async replaceUnusedTokens(batchId: string, tokens: { serial: string; tokenHash: Uint8Array }[]): Promise<string[]> {
    if (tokens.length === 0) return [];
    this.wrote = true;
    const { rows } = await sql<{ serial: string }>`update enrollment_tokens as t set token_hash = decode(u.token_hash, 'hex')
      from unnest(${tokens.map((x) => hex(x.tokenHash))}::text[], ${tokens.map((x) => x.serial)}::text[]) as u(token_hash, serial)
      where t.batch_id = ${batchId} and t.serial = u.serial and t.used_at is null
      returning t.serial`.execute(this.tx);
    return rows.map((r) => r.serial);
  }

  async closeBatch(id: string, at: Date, by: string): Promise<void> {
    this.wrote = true;
    await this.tx.updateTable('enrollment_batches').set({ closed_at: at, closed_by: by }).where('id', '=', id).execute();
  }

  async insertBootstrapCa(ca: BootstrapCaRecord): Promise<boolean> {
    this.wrote = true;
    const inserted = await this.tx
      .insertInto('bootstrap_cas')
      .values({
        id: ca.id,
        product_id: ca.productId,
        certificate: ca.certificate,
        subject: ca.subject,
        fingerprint_sha256: ca.fingerprintSha256,
        not_after: ca.notAfter,
        created_by: ca.createdBy,
        created_at: ca.createdAt,
      })
      .onConflict((oc) => oc.columns(['product_id', 'fingerprint_sha256']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  async setReprovision(deviceId: string, decision: ReprovisionGrant, at: Date): Promise<void> {
    this.wrote = true;
    await this.tx
      .updateTable('devices')
      .set({ reprovision_via: decision.via, reprovision_until: decision.until, reprovision_batch_id: decision.batchId, updated_at: at })
      .where('id', '=', deviceId)
      .where('state', '=', 'revoked')
      .execute();
  }
}

/** The enrollment capability's storage port, one implementation for PGlite and PostgreSQL. */
export class EnrollmentRepository implements EnrollmentStore {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #listener: CertificateStatusListener | undefined;
  readonly #announce: StatusAnnouncement | undefined;

  constructor(db: Kysely<Database>, clock: Clock, listener?: CertificateStatusListener, announce?: StatusAnnouncement) {
    this.#listener = listener;
    this.#announce = announce;
    this.#db = db;
    this.#clock = clock;
  }

  unitOfWork<T>(fn: (uow: EnrollmentUnitOfWork) => Promise<T>, options?: { at?: Date }): Promise<T> {
    return runUnitOfWork(this.#db, (tx: Transaction<Database>) => new EnrollmentUnitOfWorkImpl(tx, this.#listener), fn, options?.at ?? this.#clock.now(), this.#listener, this.#announce);
  }

  async findBatch(id: string): Promise<EnrollmentBatchRecord | undefined> {
    const r = await this.#db.selectFrom('enrollment_batches').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toBatch(r);
  }

  async listBatches(productId: string): Promise<EnrollmentBatchRecord[]> {
    return (await this.#db.selectFrom('enrollment_batches').selectAll().where('product_id', '=', productId).orderBy('created_at').orderBy('id').execute()).map(toBatch);
  }

  async countUsedTokens(batchIds: string[]): Promise<Map<string, number>> {
    if (batchIds.length === 0) return new Map();
    const rows = await this.#db
      .selectFrom('enrollment_tokens')
      .select(['batch_id', (eb) => eb.fn.countAll<string | number>().as('used')])
      .where('batch_id', 'in', batchIds)
      .where('used_at', 'is not', null)
      .groupBy('batch_id')
      .execute();
    return new Map(rows.map((r) => [r.batch_id, Number(r.used)]));
  }

  async listBatchSerials(batchId: string): Promise<BatchSerialRecord[]> {
    const rows = await this.#db
      .selectFrom('enrollment_tokens')
      .select(['serial', 'expires_at', 'used_at', 'station', 'certificate_serial'])
      .where('batch_id', '=', batchId)
      .orderBy('serial')
      .execute();
    return rows.map((r) => ({ serial: r.serial, expiresAt: r.expires_at, usedAt: r.used_at, station: r.station, certificateSerial: r.certificate_serial }));
  }

  async listBootstrapCas(productId: string): Promise<BootstrapCaRecord[]> {
    return (await this.#db.selectFrom('bootstrap_cas').selectAll().where('product_id', '=', productId).orderBy('created_at').execute()).map(toBootstrapCa);
  }

  async findSpentToken(tokenHash: Uint8Array): Promise<{ productId: string; serial: string; certificateSerial: string } | undefined> {
    const r = await this.#db
      .selectFrom('enrollment_tokens')
      .select(['product_id', 'serial', 'certificate_serial'])
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is not', null)
      .executeTakeFirst();
    return r?.certificate_serial ? { productId: r.product_id, serial: r.serial, certificateSerial: r.certificate_serial } : undefined;
  }

  async listOwnCaCertificates(): Promise<Uint8Array[]> {
    return (await this.#db.selectFrom('cas').select('certificate').execute()).map((r) => bytes(r.certificate));
  }
}
