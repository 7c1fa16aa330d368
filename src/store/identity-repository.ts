import { sql, type Kysely, type Transaction } from 'kysely';
import { SERIALS_PER_NOTIFICATION, STATUS_CHANNEL, statusPayload } from './status-notifications.ts';
import type { Clock } from '../core/clock.ts';
import type { DeviceState } from '../core/lifecycle.ts';
import type { IdentityStore, IdentityUnitOfWork } from '../pki/identity-store.types.ts';
import type {
  CaRecord,
  CertificateRecord,
  DeviceRecord,
  EventRecord,
  ProductRecord,
} from '../pki/records.types.ts';
import { appendEvents } from './event-writer.ts';
import { toCa, toCertificate, toDevice, toEvent, toProduct } from './identity-rows.ts';
import { IdentityUnitOfWorkImpl } from './identity-unit-of-work.ts';
import type { Database } from './schema.types.ts';
import type { CertificateStatusListener } from '../pki/certificate-status-listener.ts';

/** The identity capability's storage port, one implementation for PGlite and PostgreSQL. */
export class IdentityRepository implements IdentityStore {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #listener: CertificateStatusListener | undefined;
  readonly #announce: StatusAnnouncement | undefined;

  /** `announce`: on PostgreSQL, status changes are announced to other servers sharing the database. */
  constructor(db: Kysely<Database>, clock: Clock, listener?: CertificateStatusListener, announce?: StatusAnnouncement) {
    this.#db = db;
    this.#clock = clock;
    this.#listener = listener;
    this.#announce = announce;
  }

  async findRootCa(): Promise<CaRecord | undefined> {
    const r = await this.#db
      .selectFrom('cas')
      .selectAll()
      .where('kind', '=', 'root')
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    return r && toCa(r);
  }
  async findCa(id: string): Promise<CaRecord | undefined> {
    const r = await this.#db.selectFrom('cas').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toCa(r);
  }
  async findCurrentOcspResponder(issuingCaId: string): Promise<CaRecord | undefined> {
    const r = await this.#db
      .selectFrom('cas')
      .selectAll()
      .where('parent_id', '=', issuingCaId)
      .where('kind', '=', 'ocsp-responder')
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    return r && toCa(r);
  }
  async findProductBySku(sku: string): Promise<ProductRecord | undefined> {
    const r = await this.#db.selectFrom('products').selectAll().where('sku', '=', sku).executeTakeFirst();
    return r && toProduct(r);
  }
  async findProductById(id: string): Promise<ProductRecord | undefined> {
    const r = await this.#db.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toProduct(r);
  }
  async listProducts(): Promise<ProductRecord[]> {
    return (await this.#db.selectFrom('products').selectAll().orderBy('sku').execute()).map(toProduct);
  }
  async findDevice(productId: string, serial: string): Promise<DeviceRecord | undefined> {
    const r = await this.#db
      .selectFrom('devices')
      .selectAll()
      .where('product_id', '=', productId)
      .where('serial', '=', serial)
      .executeTakeFirst();
    return r && toDevice(r);
  }
  async listDevices(
    productId: string,
    q: { state?: DeviceState; after?: string; limit: number },
  ): Promise<DeviceRecord[]> {
    let query = this.#db.selectFrom('devices').selectAll().where('product_id', '=', productId);
    if (q.state) query = query.where('state', '=', q.state);
    if (q.after !== undefined) query = query.where('serial', '>', q.after);
    return (await query.orderBy('serial').limit(q.limit).execute()).map(toDevice);
  }
  async listDeviceCertificates(deviceId: string): Promise<CertificateRecord[]> {
    const rows = await this.#db
      .selectFrom('certificates')
      .selectAll()
      .where('device_id', '=', deviceId)
      .orderBy('issued_at')
      .orderBy('serial')
      .execute();
    return rows.map(toCertificate);
  }
  async findCertificate(caId: string, serial: string): Promise<CertificateRecord | undefined> {
    const r = await this.#db
      .selectFrom('certificates')
      .selectAll()
      .where('serial', '=', serial)
      .where('ca_id', '=', caId)
      .executeTakeFirst();
    return r && toCertificate(r);
  }
  async findCertificates(serials: string[]): Promise<CertificateRecord[]> {
    if (serials.length === 0) return [];
    return (await this.#db.selectFrom('certificates').selectAll().where('serial', 'in', serials).execute()).map(
      toCertificate,
    );
  }
  async listSubjectEvents(subjectType: string, subjectId: string): Promise<EventRecord[]> {
    const rows = await this.#db
      .selectFrom('events')
      .selectAll()
      .where('subject_type', '=', subjectType)
      .where('subject_id', '=', subjectId)
      .orderBy('seq')
      .execute();
    return rows.map(toEvent);
  }

  async recordFirstUse(serial: string, at: Date): Promise<boolean> {
    const r = await this.#db
      .updateTable('certificates')
      .set({ first_used_at: at })
      .where('serial', '=', serial)
      .where('first_used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  unitOfWork<T>(fn: (uow: IdentityUnitOfWork) => Promise<T>, options?: { at?: Date }): Promise<T> {
    return runUnitOfWork(this.#db, (tx) => new IdentityUnitOfWorkImpl(tx, this.#listener), fn, options?.at ?? this.#clock.now(), this.#listener, this.#announce);
  }
}

/** Who announces status changes (NOTIFY) to the other servers on the same PostgreSQL database. */
export interface StatusAnnouncement {
  sender: string;
}

/**
 * Runs `fn` in one transaction with a unit of work made by `make`, then appends the events it
 * recorded in the same transaction. DESIGN rule 1: no event, no change.
 */
export async function runUnitOfWork<U extends IdentityUnitOfWorkImpl, T>(
  db: Kysely<Database>,
  make: (tx: Transaction<Database>) => U,
  fn: (uow: U) => Promise<T>,
  at: Date,
  listener?: CertificateStatusListener,
  announce?: StatusAnnouncement,
): Promise<T> {
  let uow: U | undefined;
  let committed = false;
  try {
    const result = await db.transaction().execute(async (tx) => {
      uow = make(tx);
      const result = await fn(uow);
      if (uow.wrote && uow.events.length === 0 && uow.appendedEvents === 0) throw new Error('a unit of work changed trust state without recording an event');
      if (uow.events.length > 0) await appendEvents(tx, uow.events, at);
      // PostgreSQL delivers NOTIFY at commit, and never for a rolled-back transaction.
      if (announce) {
        for (let i = 0; i < uow.statusUpdates.length; i += SERIALS_PER_NOTIFICATION) {
          const payload = statusPayload(announce.sender, uow.statusUpdates.slice(i, i + SERIALS_PER_NOTIFICATION));
          await sql`select pg_notify(${STATUS_CHANNEL}, ${payload})`.execute(tx);
        }
      }
      return result;
    });
    committed = true;
    return result;
  } finally {
    // After commit or rollback: what answers for these certificates from memory may be made again.
    if (uow && listener) listener.settled(uow.statusChanges, committed);
  }
}
