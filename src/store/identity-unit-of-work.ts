import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { RevocationReason } from '../core/revocation-reason.ts';
import type { CertificateStatusUpdate, DeviceUpdate, EndedAccessGrant, IdentityUnitOfWork, IssuanceState, IssuanceStateQuery, IssuanceWrites, TokenUse } from '../pki/identity-store.types.ts';
import type { OneTimeTokenGrant } from '../pki/issuance-plan.ts';
import type { CertificateStatusListener } from '../pki/certificate-status-listener.ts';
import type {
  CaRecord,
  CertificateRecord,
  DeviceRecord,
  EventInput,
  KeyBinding,
  ProductRecord,
} from '../pki/records.types.ts';
import { appendEventsParts } from './event-writer.ts';
import { toDevice } from './identity-rows.ts';
import type { CertificatesTable, Database, DevicesTable } from './schema.types.ts';
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
  /** events already appended by a write that carries its own (writeIssuance) */
  appendedEvents = 0;
  wrote = false;
  /** certificates whose revocation status this unit of work changed or that it created */
  readonly statusChanges: string[] = [];
  /** of those, the ones that existed before (other servers may hold answers for them) */
  readonly statusUpdates: string[] = [];
  protected readonly tx: Executor;
  readonly #listener: CertificateStatusListener | undefined;
  constructor(tx: Executor, listener?: CertificateStatusListener) {
    this.tx = tx;
    this.#listener = listener;
  }

  #changing(serials: string[]): void {
    this.statusChanges.push(...serials);
    this.#listener?.changing(serials);
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

  async insertDeviceTags(tags: { deviceId: string; tag: string }[]): Promise<void> {
    if (tags.length === 0) return;
    this.wrote = true;
    await this.tx.insertInto('device_tags').values(tags.map((t) => ({ device_id: t.deviceId, tag: t.tag }))).onConflict((oc) => oc.doNothing()).execute();
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
    const { rows } = await sql<Selectable<DevicesTable>>`${lockedDevicesSql(keys)} order by dv.id`.execute(this.tx);
    return rows.map(toDevice);
  }

  async updateDevices(updates: DeviceUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    this.wrote = true;
    await updateDevicesSql(updates).execute(this.tx);
  }

  async insertCertificates(certs: CertificateRecord[]): Promise<void> {
    if (certs.length === 0) return;
    this.wrote = true;
    this.#changing(certs.map((c) => c.serial));
    await insertCertificatesSql(certs).execute(this.tx);
  }

  async updateCertificateStatuses(updates: CertificateStatusUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    this.wrote = true;
    this.#changing(updates.map((u) => u.serial));
    this.statusUpdates.push(...updates.map((u) => u.serial));
    await updateCertificateStatusesSql(updates).execute(this.tx);
  }

  async lockIssuanceState(q: IssuanceStateQuery): Promise<IssuanceState> {
    const at = q.now.toISOString();
    // Devices first, in (product, serial) order, then their certificates, then the tokens: the
    // order every unit of work locks in, so none can deadlock. Only the parts this batch needs:
    // each part of the statement costs planning time on every call.
    const parts = [
      sql`d as materialized (${lockedDevicesSql(q.devices)})`,
      sql`c as (
        select serial, ca_id, device_id, encode(spki_sha256, 'hex') as spki_sha256, not_before, not_after, status, revocation_reason, revoked_at, issued_at, first_used_at, issued_for
        from certificates where device_id = any(array(select id from d)) and status in ('good', 'hold')
        order by serial for update)`,
      sql`b as (
        select encode(spki_sha256, 'hex') as spki_sha256, device_id, retired_at from device_keys
        where spki_sha256 = any(array(select decode(h, 'hex') from unnest(${q.spkiSha256.map(hex)}::text[]) as h)))`,
    ];
    if (q.oneTimeTokens.length > 0) {
      parts.push(sql`o as (
        select encode(t.token_hash, 'hex') as token_hash, t.batch_id, b.factory, t.product_id, t.serial, b.valid_from, b.valid_until, t.expires_at, t.used_at, b.closed_at, t.certificate_serial
        from enrollment_tokens t join enrollment_batches b on b.id = t.batch_id
        where t.token_hash = any(array(select decode(h, 'hex') from unnest(${q.oneTimeTokens.map(hex)}::text[]) as h))
        order by t.token_hash for update)`);
    }
    if (q.factoryAsks.length > 0) {
      parts.push(sql`f as (
        select encode(t.token_hash, 'hex') as token_hash, t.batch_id, b.factory, t.product_id, t.serial, b.valid_from, b.valid_until, t.expires_at, t.used_at, b.closed_at, t.certificate_serial
        from unnest(${q.factoryAsks.map((a) => a.productId)}::text[], ${q.factoryAsks.map((a) => a.serial)}::text[], ${q.factoryAsks.map((a) => a.factory)}::text[]) as a(product_id, serial, factory)
        join enrollment_tokens t on t.product_id = a.product_id and t.serial = a.serial and t.used_at is null
        join enrollment_batches b on b.id = t.batch_id and b.factory = a.factory and b.closed_at is null
          and b.valid_from <= ${at}::timestamptz and b.valid_until > ${at}::timestamptz
        order by t.token_hash for update of t)`);
    }
    const rowsOf = (part: string, present: boolean) => (present ? sql`(select coalesce(json_agg(${sql.ref(part)}), '[]') from ${sql.ref(part)})` : sql`'[]'::json`);
    const { rows } = await sql<IssuanceStateRow>`with ${sql.join(parts)}
      select ${rowsOf('d', true)} as devices, ${rowsOf('c', true)} as certificates, ${rowsOf('b', true)} as bindings,
        ${rowsOf('o', q.oneTimeTokens.length > 0)} as one_time, ${rowsOf('f', q.factoryAsks.length > 0)} as factory`.execute(this.tx);
    const r = rows[0]!;
    const json = <T>(v: T[] | string): T[] => (typeof v === 'string' ? (JSON.parse(v) as T[]) : v);
    return {
      devices: json(r.devices).map((d) =>
        toDevice({ ...d, created_at: new Date(d.created_at), updated_at: new Date(d.updated_at), reprovision_until: d.reprovision_until === null ? null : new Date(d.reprovision_until) }),
      ),
      certificates: json(r.certificates).map((c) => ({
        serial: c.serial,
        caId: c.ca_id,
        deviceId: c.device_id,
        spkiSha256: fromHex(c.spki_sha256),
        notBefore: new Date(c.not_before),
        notAfter: new Date(c.not_after),
        status: c.status,
        revocationReason: c.revocation_reason as RevocationReason | null,
        revokedAt: c.revoked_at === null ? null : new Date(c.revoked_at),
        issuedAt: new Date(c.issued_at),
        firstUsedAt: c.first_used_at === null ? null : new Date(c.first_used_at),
        issuedFor: c.issued_for,
      })),
      bindings: json(r.bindings).map((b) => ({ spkiSha256: fromHex(b.spki_sha256), deviceId: b.device_id, retiredAt: b.retired_at === null ? null : new Date(b.retired_at) })),
      oneTimeGrants: json(r.one_time).map(toGrant),
      factoryGrants: json(r.factory).map(toGrant),
    };
  }

  async endAccessGrantsNaming(deviceId: string, at: Date, endedBy: string, reason: string): Promise<EndedAccessGrant[]> {
    const now = at.toISOString();
    // One statement: the grants that name the device and are awaiting approval or current end, and
    // the KRL of each product where one had a certificate still valid moves to its next version.
    const { rows } = await sql<{ id: string; product_id: string; serial: string; requester: string; krl: boolean }>`with ended as (
        update access_grants g set state = 'ended', ended_by = ${endedBy}, ended_at = ${now}::timestamptz, end_reason = ${reason}
        where g.id in (select grant_id from access_grant_devices where device_id = ${deviceId})
          and (g.state = 'requested' or (g.state = 'approved' and g.valid_until > ${now}::timestamptz))
        returning g.id, g.product_id, g.serial::text as serial, g.requester,
          exists (select 1 from ssh_certificates c where c.grant_id = g.id and c.valid_before > ${now}::timestamptz) as krl),
      krl as (${nextKrlVersionSql(sql`select distinct product_id from ended where krl`, at)})
      select * from ended order by serial`.execute(this.tx);
    if (rows.length > 0) this.wrote = true;
    return rows.map((r) => ({ grantId: r.id, productId: r.product_id, serial: r.serial, requester: r.requester, krl: r.krl }));
  }

  async revokeHostCertificatesOf(deviceId: string, at: Date): Promise<string[]> {
    const now = at.toISOString();
    const { rows } = await sql<{ serial: string }>`with revoked as (
        update ssh_certificates c set revoked_at = ${now}::timestamptz
        where c.device_id = ${deviceId} and c.kind = 'host' and c.revoked_at is null and c.valid_before > ${now}::timestamptz
        returning c.product_id, c.serial),
      krl as (${nextKrlVersionSql(sql`select distinct product_id from revoked`, at)})
      select serial::text as serial from revoked order by serial`.execute(this.tx);
    if (rows.length > 0) this.wrote = true;
    return rows.map((r) => r.serial);
  }

  async writeIssuance(w: IssuanceWrites): Promise<void> {
    const statements = [
      ...(w.bindings.length > 0 ? [bindKeysSql(w.bindings, w.at)] : []),
      ...(w.statusUpdates.length > 0 ? [updateCertificateStatusesSql(w.statusUpdates)] : []),
      ...(w.certificates.length > 0 ? [insertCertificatesSql(w.certificates)] : []),
      ...(w.devices.length > 0 ? [updateDevicesSql(w.devices)] : []),
      ...(w.spentTokens.length > 0 ? [spendTokensSql(w.spentTokens)] : []),
      ...(w.retireKeysOf && w.retireKeysOf.length > 0 ? [retireKeysSql(w.retireKeysOf, w.at)] : []),
    ];
    if (statements.length === 0 && w.events.length === 0) return; // every request of the batch was refused
    if (statements.length > 0) this.wrote = true;
    this.#changing([...w.statusUpdates.map((u) => u.serial), ...w.certificates.map((c) => c.serial)]);
    this.statusUpdates.push(...w.statusUpdates.map((u) => u.serial));
    // One round trip: each write a data-modifying WITH query of one statement (all see the same
    // snapshot; none touches a row another one writes), and the events last.
    const writes = statements.map((s, i) => sql`${sql.raw(`w${i}`)} as (${s})`);
    const { rows } = await sql<{ appended: string | number }>`with ${sql.join([...writes, appendEventsParts(w.events, w.at)])}
      select count(*) as appended from appended`.execute(this.tx);
    if (Number(rows[0]?.appended) !== w.events.length) throw new Error('the event sequence row is missing');
    this.appendedEvents += w.events.length;
  }
}


/** Moves each product's SSH KRL on by one version (its first: version 1). `products` yields product ids. */
export function nextKrlVersionSql(products: RawBuilder<unknown>, at: Date): RawBuilder<unknown> {
  return sql`insert into ssh_krls (product_id, version, updated_at) select k.p, 1, ${at.toISOString()}::timestamptz from (${products}) as k(p)
    on conflict (product_id) do update set version = ssh_krls.version + 1, updated_at = excluded.updated_at`;
}

/** A row as json_agg gives it: timestamps as ISO text, bytea as the query encodes it (hex). */
type JsonRow<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] extends Uint8Array ? string : T[K] };
type DeviceJson = JsonRow<Selectable<DevicesTable>>;
type CertificateJson = Omit<JsonRow<Selectable<CertificatesTable>>, 'der'>;
interface GrantJson {
  token_hash: string;
  batch_id: string;
  factory: string;
  product_id: string;
  serial: string;
  valid_from: string;
  valid_until: string;
  expires_at: string;
  used_at: string | null;
  closed_at: string | null;
  certificate_serial: string | null;
}
/** json columns: parsed by both drivers, but typed loosely enough to accept the text form too */
interface IssuanceStateRow {
  devices: DeviceJson[] | string;
  certificates: CertificateJson[] | string;
  bindings: { spki_sha256: string; device_id: string; retired_at: string | null }[] | string;
  one_time: GrantJson[] | string;
  factory: GrantJson[] | string;
}

/**
 * The devices by unique key, locked, one index lookup per device in (product, serial) order: a
 * stable order (no deadlocks between concurrent units) and a plan that does not hang on the
 * table's statistics, which an embedded PGlite gathers only at maintenance; without them
 * PostgreSQL scans the product's devices through the wrong index. `offset 0` keeps each lookup a
 * nested loop. Rows as `dv`.
 */
function lockedDevicesSql(keys: { productId: string; serial: string }[]): RawBuilder<unknown> {
  const unique = new Map(keys.map((k) => [`${k.productId}\u0000${k.serial}`, k]));
  const sorted = [...unique.keys()].sort().map((k) => unique.get(k)!);
  return sql`select dv.* from unnest(${sorted.map((k) => k.productId)}::text[], ${sorted.map((k) => k.serial)}::text[]) as k(product_id, serial)
    cross join lateral (select * from devices where devices.product_id = k.product_id and devices.serial = k.serial offset 0 for update) as dv`;
}

const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

const toGrant = (g: GrantJson): OneTimeTokenGrant => ({
  tokenHash: fromHex(g.token_hash),
  batchId: g.batch_id,
  factory: g.factory,
  productId: g.product_id,
  serial: g.serial,
  validFrom: new Date(g.valid_from),
  expiresAt: new Date(Math.min(new Date(g.expires_at).getTime(), new Date(g.valid_until).getTime())),
  usedAt: g.used_at === null ? null : new Date(g.used_at),
  batchClosedAt: g.closed_at === null ? null : new Date(g.closed_at),
  certificateSerial: g.certificate_serial,
});

const time = (d: Date | null): string | null => d?.toISOString() ?? null;

// Batched writes, each one statement whatever the batch size (see `hex` above). Each runs alone
// (the single-purpose methods) or as one part of writeIssuance's statement.

/**
 * An operator's re-provisioning decision lives only while the device stays revoked: any update
 * that moves it out of `revoked` (its one enrollment, a decommissioning) spends it in the same
 * statement, so no path can forget to.
 */
function updateDevicesSql(updates: DeviceUpdate[]): RawBuilder<unknown> {
  return sql`update devices as d set state = v.state, current_certificate_serial = v.cert, updated_at = v.at,
      reprovision_via = case when v.state = 'revoked' then d.reprovision_via end,
      reprovision_until = case when v.state = 'revoked' then d.reprovision_until end,
      reprovision_batch_id = case when v.state = 'revoked' then d.reprovision_batch_id end
    from unnest(${updates.map((u) => u.id)}::text[], ${updates.map((u) => u.state)}::text[], ${updates.map((u) => u.currentCertificateSerial)}::text[],
      ${updates.map((u) => u.updatedAt.toISOString())}::timestamptz[]) as v(id, state, cert, at)
    where d.id = v.id`;
}

function insertCertificatesSql(certs: CertificateRecord[]): RawBuilder<unknown> {
  const column = <T>(f: (c: CertificateRecord) => T): T[] => certs.map(f);
  // status_xid (migration 0006): a certificate born superseded (renewed twice in one batch) is a status change.
  return sql`insert into certificates (serial, ca_id, device_id, spki_sha256, der, not_before, not_after, status, revocation_reason, revoked_at, issued_at, issued_for, status_xid)
    select c.serial, c.ca_id, c.device_id, decode(c.spki_sha256, 'hex'), decode(c.der, 'hex'), c.not_before, c.not_after, c.status, c.revocation_reason, c.revoked_at, c.issued_at, c.issued_for,
      case when c.status <> 'good' then pg_current_xact_id() end
    from unnest(${column((c) => c.serial)}::text[], ${column((c) => c.caId)}::text[], ${column((c) => c.deviceId)}::text[],
      ${column((c) => hex(c.spkiSha256))}::text[], ${column((c) => hex(c.der))}::text[],
      ${column((c) => time(c.notBefore))}::timestamptz[], ${column((c) => time(c.notAfter))}::timestamptz[], ${column((c) => c.status)}::text[],
      ${column((c) => c.revocationReason)}::text[], ${column((c) => time(c.revokedAt))}::timestamptz[], ${column((c) => time(c.issuedAt))}::timestamptz[],
      ${column((c) => c.issuedFor)}::text[])
      as c(serial, ca_id, device_id, spki_sha256, der, not_before, not_after, status, revocation_reason, revoked_at, issued_at, issued_for)`;
}

function updateCertificateStatusesSql(updates: CertificateStatusUpdate[]): RawBuilder<unknown> {
  // status_xid (migration 0006): which CRLs already carry this change is read against it.
  return sql`update certificates as c set status = u.status, revocation_reason = u.reason, revoked_at = u.at, status_xid = pg_current_xact_id()
    from unnest(${updates.map((u) => u.serial)}::text[], ${updates.map((u) => u.status)}::text[],
      ${updates.map((u) => u.revocationReason)}::text[], ${updates.map((u) => time(u.revokedAt))}::timestamptz[])
      as u(serial, status, reason, at)
    where c.serial = u.serial`;
}

function retireKeysSql(deviceIds: string[], at: Date): RawBuilder<unknown> {
  return sql`update device_keys set retired_at = ${at.toISOString()}::timestamptz where device_id = any(${deviceIds}::text[]) and retired_at is null`;
}

function bindKeysSql(bindings: KeyBinding[], at: Date): RawBuilder<unknown> {
  return sql`insert into device_keys (spki_sha256, device_id, bound_at, retired_at)
    select decode(k.spki, 'hex'), k.device_id, ${at.toISOString()}::timestamptz, k.retired_at
    from unnest(${bindings.map((b) => hex(b.spkiSha256))}::text[], ${bindings.map((b) => b.deviceId)}::text[],
      ${bindings.map((b) => time(b.retiredAt))}::timestamptz[]) as k(spki, device_id, retired_at)`;
}

/**
 * Spends each token on its certificate. A token already spent moves only from the certificate it
 * was spent on (`replaces`: a lost serverkeygen answer re-issued), keeping when it was first used.
 */
function spendTokensSql(uses: TokenUse[]): RawBuilder<unknown> {
  return sql`update enrollment_tokens as t set used_at = coalesce(t.used_at, u.used_at), station = coalesce(t.station, u.station), certificate_serial = u.certificate_serial
    from unnest(${uses.map((u) => hex(u.tokenHash))}::text[], ${uses.map((u) => u.usedAt.toISOString())}::timestamptz[],
      ${uses.map((u) => u.station)}::text[], ${uses.map((u) => u.certificateSerial)}::text[], ${uses.map((u) => u.replaces ?? null)}::text[])
      as u(token_hash, used_at, station, certificate_serial, replaces)
    where t.token_hash = decode(u.token_hash, 'hex') and (t.used_at is null or t.certificate_serial = u.replaces)`;
}
