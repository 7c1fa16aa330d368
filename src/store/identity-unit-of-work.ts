import { sql, type Kysely, type Transaction } from 'kysely';
import type { DeviceState } from '../core/lifecycle.ts';
import type { RevocationReason } from '../core/revocation-reason.ts';
import type { IdentityUnitOfWork } from '../pki/identity-store.types.ts';
import type { OneTimeTokenGrant } from '../pki/issuance-plan.ts';
import type {
  CaRecord,
  CertificateRecord,
  CrlRecord,
  DeviceRecord,
  EventInput,
  ProductRecord,
} from '../pki/records.types.ts';
import { bytes, toCertificate, toDevice } from './identity-rows.ts';
import type { Database, DevicesTable } from './schema.types.ts';
import type { Selectable } from 'kysely';

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * Batched writes send each column as one array parameter (`unnest`), bytea as hex text decoded by
 * the server: one statement and a few parameters per batch, the same stored bytes, and no per-byte
 * JavaScript bytea serialiser (PGlite's costs tens of µs for a certificate).
 */
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** The writes and locking reads of one unit of work, inside its transaction. */
export class IdentityUnitOfWorkImpl implements IdentityUnitOfWork {
  readonly events: EventInput[] = [];
  wrote = false;
  protected readonly tx: Executor;
  constructor(tx: Executor) {
    this.tx = tx;
  }

  recordEvents(events: EventInput[]): void {
    this.events.push(...events);
  }

  async insertCa(ca: CaRecord): Promise<void> {
    this.wrote = true;
    await this.tx
      .insertInto('cas')
      .values({
        id: ca.id,
        kind: ca.kind,
        product_id: ca.productId,
        parent_id: ca.parentId,
        key_id: ca.keyId,
        certificate: ca.certificate,
        subject: ca.subject,
        not_before: ca.notBefore,
        not_after: ca.notAfter,
        created_at: ca.createdAt,
      })
      .execute();
  }

  async insertProduct(p: ProductRecord): Promise<void> {
    this.wrote = true;
    await this.tx
      .insertInto('products')
      .values({
        id: p.id,
        sku: p.sku,
        name: p.name,
        cra_class: p.craClass,
        support_until: p.supportUntil,
        key_algorithm: p.keyAlgorithm,
        certificate_validity_days: p.certificateValidityDays,
        renewal_window_days: p.renewalWindowDays,
        server_keygen: p.serverKeygen,
        reenroll_grace_days: p.reenrollGraceDays,
        owner: p.owner,
        issuing_ca_id: p.issuingCaId,
        created_at: p.createdAt,
      })
      .execute();
  }

  async insertDevices(devices: DeviceRecord[]): Promise<void> {
    if (devices.length === 0) return;
    this.wrote = true;
    await this.tx
      .insertInto('devices')
      .values(
        devices.map((d) => ({
          id: d.id,
          product_id: d.productId,
          serial: d.serial,
          hardware_id: d.hardwareId,
          state: d.state,
          current_certificate_serial: d.currentCertificateSerial,
          created_at: d.createdAt,
          updated_at: d.updatedAt,
        })),
      )
      .execute();
  }

  async lockDevices(keys: { productId: string; serial: string }[]): Promise<DeviceRecord[]> {
    if (keys.length === 0) return [];
    // One index lookup per device, locked in (product, serial) order: a stable order (no deadlocks
    // between concurrent units) and a plan that does not hang on the table's statistics, which an
    // embedded PGlite never gathers (no autovacuum); without them PostgreSQL scans the product's
    // devices through the wrong index. `offset 0` keeps the lookup a nested loop.
    const unique = new Map(keys.map((k) => [`${k.productId}\u0000${k.serial}`, k]));
    const sorted = [...unique.keys()].sort().map((k) => unique.get(k)!);
    const { rows } = await sql<
      Selectable<DevicesTable>
    >`select d.* from unnest(${sorted.map((k) => k.productId)}::text[], ${sorted.map((k) => k.serial)}::text[]) as k(product_id, serial)
      cross join lateral (select * from devices where devices.product_id = k.product_id and devices.serial = k.serial offset 0 for update) as d
      order by d.id`.execute(this.tx);
    return rows.map(toDevice);
  }

  async updateDevices(
    updates: { id: string; state: DeviceState; currentCertificateSerial: string | null; updatedAt: Date }[],
  ): Promise<void> {
    if (updates.length === 0) return;
    this.wrote = true;
    if (updates.length === 1) {
      const u = updates[0]!;
      await this.tx
        .updateTable('devices')
        .set({ state: u.state, current_certificate_serial: u.currentCertificateSerial, updated_at: u.updatedAt })
        .where('id', '=', u.id)
        .execute();
      return;
    }
    // One statement for a batch, its columns as arrays: UPDATE … FROM unnest(…)
    await sql`update devices as d set state = v.state, current_certificate_serial = v.cert, updated_at = v.at
      from unnest(${updates.map((u) => u.id)}::text[], ${updates.map((u) => u.state)}::text[], ${updates.map((u) => u.currentCertificateSerial)}::text[],
        ${updates.map((u) => u.updatedAt.toISOString())}::timestamptz[]) as v(id, state, cert, at)
      where d.id = v.id`.execute(this.tx);
  }

  async findKeyBindings(spkiSha256: Uint8Array[]) {
    if (spkiSha256.length === 0) return [];
    const rows = await this.tx.selectFrom('device_keys').selectAll().where('spki_sha256', 'in', spkiSha256).execute();
    return rows.map((r) => ({ spkiSha256: bytes(r.spki_sha256), deviceId: r.device_id, retiredAt: r.retired_at }));
  }

  async bindKeys(
    bindings: { spkiSha256: Uint8Array; deviceId: string; retiredAt: Date | null }[],
    at: Date,
  ): Promise<void> {
    if (bindings.length === 0) return;
    this.wrote = true;
    await sql`insert into device_keys (spki_sha256, device_id, bound_at, retired_at)
      select decode(k.spki, 'hex'), k.device_id, ${at}::timestamptz, k.retired_at
      from unnest(${bindings.map((b) => hex(b.spkiSha256))}::text[], ${bindings.map((b) => b.deviceId)}::text[],
        ${bindings.map((b) => b.retiredAt?.toISOString() ?? null)}::timestamptz[]) as k(spki, device_id, retired_at)`.execute(
      this.tx,
    );
  }

  async retireDeviceKeys(deviceId: string, at: Date): Promise<void> {
    this.wrote = true;
    await this.tx
      .updateTable('device_keys')
      .set({ retired_at: at })
      .where('device_id', '=', deviceId)
      .where('retired_at', 'is', null)
      .execute();
  }

  async insertCertificates(certs: CertificateRecord[]): Promise<void> {
    if (certs.length === 0) return;
    this.wrote = true;
    const column = <T>(f: (c: CertificateRecord) => T): T[] => certs.map(f);
    const time = (d: Date | null): string | null => d?.toISOString() ?? null;
    await sql`insert into certificates (serial, ca_id, device_id, spki_sha256, der, not_before, not_after, status, revocation_reason, revoked_at, issued_at)
      select c.serial, c.ca_id, c.device_id, decode(c.spki_sha256, 'hex'), decode(c.der, 'hex'), c.not_before, c.not_after, c.status, c.revocation_reason, c.revoked_at, c.issued_at
      from unnest(${column((c) => c.serial)}::text[], ${column((c) => c.caId)}::text[], ${column((c) => c.deviceId)}::text[],
        ${column((c) => hex(c.spkiSha256))}::text[], ${column((c) => hex(c.der))}::text[],
        ${column((c) => time(c.notBefore))}::timestamptz[], ${column((c) => time(c.notAfter))}::timestamptz[], ${column((c) => c.status)}::text[],
        ${column((c) => c.revocationReason)}::text[], ${column((c) => time(c.revokedAt))}::timestamptz[], ${column((c) => time(c.issuedAt))}::timestamptz[])
        as c(serial, ca_id, device_id, spki_sha256, der, not_before, not_after, status, revocation_reason, revoked_at, issued_at)`.execute(
      this.tx,
    );
  }

  async lockDeviceCertificates(
    deviceIds: string[],
    statuses: CertificateRecord['status'][],
  ): Promise<CertificateRecord[]> {
    if (deviceIds.length === 0) return [];
    const rows = await this.tx
      .selectFrom('certificates')
      .selectAll()
      .where('device_id', 'in', deviceIds)
      .where('status', 'in', statuses)
      .orderBy('serial')
      .forUpdate()
      .execute();
    return rows.map(toCertificate);
  }

  async updateCertificateStatuses(
    updates: {
      serial: string;
      status: CertificateRecord['status'];
      revocationReason: RevocationReason | null;
      revokedAt: Date | null;
    }[],
  ): Promise<void> {
    if (updates.length === 0) return;
    this.wrote = true;
    // One statement for a batch (a batch of renewals supersedes one certificate each).
    await sql`update certificates as c set status = u.status, revocation_reason = u.reason, revoked_at = u.at
      from unnest(${updates.map((u) => u.serial)}::text[], ${updates.map((u) => u.status)}::text[],
        ${updates.map((u) => u.revocationReason)}::text[], ${updates.map((u) => u.revokedAt?.toISOString() ?? null)}::timestamptz[])
        as u(serial, status, reason, at)
      where c.serial = u.serial`.execute(this.tx);
  }

  async insertCrl(crl: CrlRecord): Promise<void> {
    // A CRL is derived, published data, not a trust mutation: it needs no event of its own.
    await this.tx
      .insertInto('crls')
      .values({
        ca_id: crl.caId,
        crl_number: crl.crlNumber.toString(),
        this_update: crl.thisUpdate,
        next_update: crl.nextUpdate,
        der: crl.der,
      })
      .execute();
  }

  async lockOneTimeTokens(hashes: Uint8Array[]): Promise<OneTimeTokenGrant[]> {
    if (hashes.length === 0) return [];
    const rows = await this.tx
      .selectFrom('enrollment_tokens as t')
      .innerJoin('enrollment_batches as b', 'b.id', 't.batch_id')
      .select(['t.token_hash', 't.batch_id', 'b.factory', 't.product_id', 't.serial', 'b.valid_from', 'b.valid_until', 't.expires_at', 't.used_at', 'b.closed_at'])
      .where('t.token_hash', 'in', hashes)
      .orderBy('t.token_hash')
      .forUpdate()
      .execute();
    return rows.map((r) => ({
      tokenHash: bytes(r.token_hash),
      batchId: r.batch_id,
      factory: r.factory,
      productId: r.product_id,
      serial: r.serial,
      validFrom: r.valid_from,
      expiresAt: new Date(Math.min(r.expires_at.getTime(), r.valid_until.getTime())),
      usedAt: r.used_at,
      batchClosedAt: r.closed_at,
    }));
  }

  async lockFactoryTokens(asks: { productId: string; serial: string; factory: string }[], now: Date): Promise<OneTimeTokenGrant[]> {
    if (asks.length === 0) return [];
    const at = now.toISOString();
    const { rows } = await sql<{ token_hash: Uint8Array; batch_id: string; factory: string; product_id: string; serial: string; valid_from: Date; valid_until: Date; expires_at: Date }>`
      select t.token_hash, t.batch_id, b.factory, t.product_id, t.serial, b.valid_from, b.valid_until, t.expires_at
      from unnest(${asks.map((a) => a.productId)}::text[], ${asks.map((a) => a.serial)}::text[], ${asks.map((a) => a.factory)}::text[]) as a(product_id, serial, factory)
      join enrollment_tokens t on t.product_id = a.product_id and t.serial = a.serial and t.used_at is null
      join enrollment_batches b on b.id = t.batch_id and b.factory = a.factory and b.closed_at is null
        and b.valid_from <= ${at}::timestamptz and b.valid_until > ${at}::timestamptz
      order by t.token_hash
      for update of t`.execute(this.tx);
    return rows.map((r) => ({
      tokenHash: bytes(r.token_hash),
      batchId: r.batch_id,
      factory: r.factory,
      productId: r.product_id,
      serial: r.serial,
      validFrom: new Date(r.valid_from),
      expiresAt: new Date(Math.min(new Date(r.expires_at).getTime(), new Date(r.valid_until).getTime())),
      usedAt: null,
      batchClosedAt: null,
    }));
  }

  async spendOneTimeTokens(uses: { tokenHash: Uint8Array; usedAt: Date; station: string | null; certificateSerial: string }[]): Promise<void> {
    if (uses.length === 0) return;
    this.wrote = true;
    await sql`update enrollment_tokens as t set used_at = u.used_at, station = u.station, certificate_serial = u.certificate_serial
      from unnest(${uses.map((u) => hex(u.tokenHash))}::text[], ${uses.map((u) => u.usedAt.toISOString())}::timestamptz[],
        ${uses.map((u) => u.station)}::text[], ${uses.map((u) => u.certificateSerial)}::text[]) as u(token_hash, used_at, station, certificate_serial)
      where t.token_hash = decode(u.token_hash, 'hex') and t.used_at is null`.execute(this.tx);
  }
}
