import { sql, type Kysely, type Transaction } from 'kysely';
import type { AccessStore, AccessUnitOfWork, GrantFilter } from '../access/access-store.types.ts';
import { defaultAccessPolicy, type AccessGrant, type AccessLogin, type AccessPolicy, type SshCaKeyAlgorithm, type SshCaRecord, type SshCertificateRecord, type SshExtension } from '../access/access.types.ts';
import type { Clock } from '../core/clock.ts';
import type { NewAccessPath } from '../access/access-paths.types.ts';
import { insertAccessPath } from './access-path-writer.ts';
import { runUnitOfWork } from './identity-repository.ts';
import { IdentityUnitOfWorkImpl, nextKrlVersionSql } from './identity-unit-of-work.ts';
import { certificateColumns, date, grantCertificates, grantColumns, iso, MAX_INT8, toCertificate, toGrant, type CertificateRow, type Executor, type GrantRow, type Timestamp } from './access-rows.ts';
import type { Database } from './schema.types.ts';

/** The writes and locking reads of one access change, in one transaction. */
class AccessUnitOfWorkImpl extends IdentityUnitOfWorkImpl implements AccessUnitOfWork {
  async nextSerial(): Promise<bigint> {
    const { rows } = await sql<{ serial: string }>`select nextval('access_serial')::text as serial`.execute(this.tx);
    return BigInt(rows[0]!.serial);
  }

  async insertGrant(g: AccessGrant, deviceIds: readonly string[]): Promise<void> {
    this.wrote = true;
    await sql`insert into access_grants (id, product_id, serial, requester, requested_by, requested_at, decide_by, target, tag, purpose, ticket, duration_seconds, break_glass, state,
        decided_by, decided_at, decision_note, valid_from, valid_until)
      values (${g.id}, ${g.productId}, ${g.serial.toString()}::bigint, ${g.requester}, ${g.requestedBy}, ${g.requestedAt.toISOString()}::timestamptz, ${iso(g.decideBy)}::timestamptz, ${g.target.kind},
        ${g.target.kind === 'tag' ? g.target.tag : null}, ${g.purpose}, ${g.ticket}, ${g.durationSeconds}, ${g.breakGlass}, ${g.state},
        ${g.decidedBy}, ${iso(g.decidedAt)}::timestamptz, ${g.decisionNote}, ${iso(g.validFrom)}::timestamptz, ${iso(g.validUntil)}::timestamptz)`.execute(this.tx);
    if (deviceIds.length > 0) {
      await sql`insert into access_grant_devices (grant_id, device_id) select ${g.id}, d from unnest(${[...deviceIds]}::text[]) as d`.execute(this.tx);
    }
  }

  async lockOpenRequests(productId: string, requester: string, at: Date): Promise<AccessGrant[]> {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`access-requests:${productId}:${requester}`}, 0))`.execute(this.tx);
    const { rows } = await sql<GrantRow>`select ${grantColumns} from access_grants g
      where g.product_id = ${productId} and g.requester = ${requester}
        and ((g.state = 'requested' and (g.decide_by is null or g.decide_by > ${at.toISOString()}::timestamptz))
          or (g.break_glass and g.state = 'approved' and g.valid_until > ${at.toISOString()}::timestamptz))
      order by g.serial`.execute(this.tx);
    return rows.map(toGrant);
  }

  async lockGrant(productId: string, grantId: string): Promise<AccessGrant | undefined> {
    const { rows } = await sql<GrantRow>`select ${grantColumns} from access_grants g where g.id = ${grantId} and g.product_id = ${productId} for update`.execute(this.tx);
    return rows[0] && toGrant(rows[0]);
  }

  async updateGrant(g: AccessGrant): Promise<void> {
    this.wrote = true;
    await sql`update access_grants set state = ${g.state}, decided_by = ${g.decidedBy}, decided_at = ${iso(g.decidedAt)}::timestamptz, decision_note = ${g.decisionNote},
        valid_from = ${iso(g.validFrom)}::timestamptz, valid_until = ${iso(g.validUntil)}::timestamptz,
        ended_by = ${g.endedBy}, ended_at = ${iso(g.endedAt)}::timestamptz, end_reason = ${g.endReason},
        reviewed_by = ${g.reviewedBy}, reviewed_at = ${iso(g.reviewedAt)}::timestamptz, review_note = ${g.reviewNote}
      where id = ${g.id}`.execute(this.tx);
  }

  listCertificates(grantId: string): Promise<SshCertificateRecord[]> {
    return grantCertificates(this.tx, grantId);
  }

  async insertCertificate(c: SshCertificateRecord): Promise<void> {
    this.wrote = true;
    await sql`insert into ssh_certificates (id, product_id, ca_id, kind, grant_id, device_id, serial, key_id, key_fingerprint, principals, valid_after, valid_before, certificate, owner, purpose, issued_at)
      values (${c.id}, ${c.productId}, ${c.caId}, ${c.kind}, ${c.grantId}, ${c.deviceId}, ${c.serial.toString()}::bigint, ${c.keyId}, ${c.keyFingerprint}, ${c.principals}::text[],
        ${c.validAfter.toISOString()}::timestamptz, ${c.validBefore.toISOString()}::timestamptz, ${c.certificate}, ${c.owner}, ${c.purpose}, ${c.issuedAt.toISOString()}::timestamptz)`.execute(this.tx);
  }

  async nextKrlVersion(productId: string, at: Date): Promise<void> {
    this.wrote = true;
    await nextKrlVersionSql(sql`values (${productId})`, at).execute(this.tx);
  }

  async insertSshCas(cas: SshCaRecord[]): Promise<SshCaRecord[]> {
    // the partial unique index (one current CA per product and kind) settles a race between two servers
    const { rows } = await sql<{ id: string }>`insert into ssh_cas (id, product_id, kind, key_id, created_at)
      select * from unnest(${cas.map((c) => c.id)}::text[], ${cas.map((c) => c.productId)}::text[], ${cas.map((c) => c.kind)}::text[], ${cas.map((c) => c.keyId)}::text[],
        ${cas.map((c) => c.createdAt.toISOString())}::timestamptz[])
      on conflict do nothing returning id`.execute(this.tx);
    if (rows.length > 0) this.wrote = true;
    const inserted = new Set(rows.map((r) => r.id));
    return cas.filter((c) => inserted.has(c.id));
  }

  async registerAccessPath(path: NewAccessPath): Promise<void> {
    // a unit of work always runs in a transaction (runUnitOfWork); the register writes its own event in it
    if ((await insertAccessPath(this.tx as Transaction<Database>, path, path.registeredAt)).inserted) this.wrote = true;
  }

  async savePolicy(productId: string, p: AccessPolicy): Promise<void> {
    this.wrote = true;
    await sql`insert into access_policies (product_id, max_duration_seconds, request_ttl_seconds, break_glass_max_seconds, extensions, force_command, source_address, max_certificates_per_grant,
        host_certificate_validity_days, host_domain, ca_key_algorithm, updated_by, updated_at)
      values (${productId}, ${p.maxDurationSeconds}, ${p.requestTtlSeconds}, ${p.breakGlassMaxSeconds}, ${p.extensions}::text[], ${p.forceCommand}, ${p.sourceAddress}, ${p.maxCertificatesPerGrant},
        ${p.hostCertificateValidityDays}, ${p.hostDomain}, ${p.caKeyAlgorithm}, ${p.updatedBy}, ${iso(p.updatedAt)}::timestamptz)
      on conflict (product_id) do update set max_duration_seconds = excluded.max_duration_seconds, request_ttl_seconds = excluded.request_ttl_seconds, break_glass_max_seconds = excluded.break_glass_max_seconds,
        extensions = excluded.extensions, force_command = excluded.force_command, source_address = excluded.source_address,
        max_certificates_per_grant = excluded.max_certificates_per_grant, host_certificate_validity_days = excluded.host_certificate_validity_days,
        host_domain = excluded.host_domain, ca_key_algorithm = excluded.ca_key_algorithm, updated_by = excluded.updated_by, updated_at = excluded.updated_at`.execute(this.tx);
  }

  async insertLogins(logins: AccessLogin[]): Promise<AccessLogin[]> {
    if (logins.length === 0) return [];
    const { rows } = await sql<{ ord: string | number }>`insert into access_logins (grant_id, device_id, at, source, key_id, recorded_at)
      select l.grant_id, l.device_id, l.at, l.source, l.key_id, l.recorded_at
      from unnest(${logins.map((l) => l.grantId)}::text[], ${logins.map((l) => l.deviceId)}::text[], ${logins.map((l) => l.at.toISOString())}::timestamptz[],
        ${logins.map((l) => l.source)}::text[], ${logins.map((l) => l.keyId)}::text[], ${logins.map((l) => l.recordedAt.toISOString())}::timestamptz[])
        with ordinality as l(grant_id, device_id, at, source, key_id, recorded_at, ord)
      order by l.ord
      on conflict do nothing returning grant_id, device_id, at, source`.execute(this.tx);
    if (rows.length > 0) this.wrote = true;
    const key = (l: { grant_id: string; device_id: string; at: Timestamp; source: string }) => `${l.grant_id}\u0000${l.device_id}\u0000${new Date(l.at).toISOString()}\u0000${l.source}`;
    const inserted = new Set((rows as unknown as { grant_id: string; device_id: string; at: Timestamp; source: string }[]).map(key));
    return logins.filter((l) => inserted.delete(key({ grant_id: l.grantId, device_id: l.deviceId, at: l.at, source: l.source })));
  }
}

interface PolicyRow {
  max_duration_seconds: number;
  request_ttl_seconds: number | null;
  break_glass_max_seconds: number;
  extensions: string[];
  force_command: string | null;
  source_address: string | null;
  max_certificates_per_grant: number;
  host_certificate_validity_days: number;
  host_domain: string | null;
  ca_key_algorithm: string;
  updated_by: string;
  updated_at: Timestamp;
}

export class AccessRepository implements AccessStore {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;

  constructor(db: Kysely<Database>, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  unitOfWork<T>(fn: (uow: AccessUnitOfWork) => Promise<T>, options?: { at?: Date }): Promise<T> {
    return runUnitOfWork(this.#db, (tx: Transaction<Database>) => new AccessUnitOfWorkImpl(tx), fn, options?.at ?? this.#clock.now());
  }

  async findPolicy(productId: string): Promise<AccessPolicy> {
    const { rows } = await sql<PolicyRow>`select * from access_policies where product_id = ${productId}`.execute(this.#db);
    const r = rows[0];
    if (!r) return { ...defaultAccessPolicy, extensions: [...defaultAccessPolicy.extensions] };
    return {
      maxDurationSeconds: Number(r.max_duration_seconds),
      requestTtlSeconds: r.request_ttl_seconds === null ? defaultAccessPolicy.requestTtlSeconds : Number(r.request_ttl_seconds),
      breakGlassMaxSeconds: Number(r.break_glass_max_seconds),
      extensions: r.extensions as SshExtension[],
      forceCommand: r.force_command,
      sourceAddress: r.source_address,
      maxCertificatesPerGrant: Number(r.max_certificates_per_grant),
      hostCertificateValidityDays: Number(r.host_certificate_validity_days),
      hostDomain: r.host_domain,
      caKeyAlgorithm: r.ca_key_algorithm as SshCaKeyAlgorithm,
      updatedBy: r.updated_by,
      updatedAt: new Date(r.updated_at),
    };
  }

  async findSshCas(productId: string): Promise<SshCaRecord[]> {
    const { rows } = await sql<{ id: string; product_id: string; kind: 'user' | 'host'; key_id: string; created_at: Timestamp; retired_at: Timestamp | null }>`
      select * from ssh_cas where product_id = ${productId} and retired_at is null order by kind, created_at desc`.execute(this.#db);
    return rows.map((r) => ({ id: r.id, productId: r.product_id, kind: r.kind, keyId: r.key_id, createdAt: new Date(r.created_at), retiredAt: date(r.retired_at) }));
  }

  async findGrant(productId: string, grantId: string): Promise<AccessGrant | undefined> {
    const { rows } = await sql<GrantRow>`select ${grantColumns} from access_grants g where g.id = ${grantId} and g.product_id = ${productId}`.execute(this.#db);
    return rows[0] && toGrant(rows[0]);
  }

  async findGrantById(grantId: string): Promise<AccessGrant | undefined> {
    const { rows } = await sql<GrantRow>`select ${grantColumns} from access_grants g where g.id = ${grantId}`.execute(this.#db);
    return rows[0] && toGrant(rows[0]);
  }

  async listGrants(productId: string, f: GrantFilter): Promise<AccessGrant[]> {
    const conditions = [
      sql`g.product_id = ${productId}`,
      ...(f.requester === undefined ? [] : [sql`g.requester = ${f.requester}`]),
      ...(f.unreviewed ? [sql`g.break_glass and g.reviewed_at is null`] : []),
      ...(f.state === undefined ? [] : [sql`g.state = ${f.state}`]),
      ...(f.before === undefined ? [] : [sql`(g.requested_at, g.id) < (select requested_at, id from access_grants where id = ${f.before})`]),
    ];
    const { rows } = await sql<GrantRow>`select ${grantColumns} from access_grants g where ${sql.join(conditions, sql` and `)}
      order by g.requested_at desc, g.id desc limit ${f.limit}`.execute(this.#db);
    return rows.map(toGrant);
  }

  async grantDeviceSerials(grantId: string): Promise<string[]> {
    const { rows } = await sql<{ serial: string }>`select d.serial from access_grant_devices gd join devices d on d.id = gd.device_id where gd.grant_id = ${grantId} order by d.serial`.execute(this.#db);
    return rows.map((r) => r.serial);
  }

  listCertificates(grantId: string): Promise<SshCertificateRecord[]> {
    return grantCertificates(this.#db, grantId);
  }

  async findGrantsBySerial(productId: string, asked: readonly bigint[]): Promise<AccessGrant[]> {
    // A serial is a uint64 on the wire, a signed bigint here: one past the column's range (the
    // sequence never reaches it) is no grant, and must not reach the cast.
    const serials = asked.filter((s) => s >= 1n && s <= MAX_INT8);
    if (serials.length === 0) return [];
    const { rows } = await sql<GrantRow>`select ${grantColumns} from access_grants g
      where g.product_id = ${productId} and g.serial = any(${serials.map(String)}::bigint[])`.execute(this.#db);
    return rows.map(toGrant);
  }

  async findHostCertificate(deviceId: string, keyFingerprint: string): Promise<SshCertificateRecord | undefined> {
    const { rows } = await sql<CertificateRow>`select ${certificateColumns} from ssh_certificates
      where device_id = ${deviceId} and kind = 'host' and key_fingerprint = ${keyFingerprint} and revoked_at is null order by issued_at desc, id limit 1`.execute(this.#db);
    return rows[0] && toCertificate(rows[0]);
  }

  async krlState(productId: string): Promise<{ version: bigint; updatedAt: Date; serials: bigint[]; hostSerials: bigint[] }> {
    // one snapshot: the version and the serials it lists are read together. What a version lists
    // is fixed by the time it moved (updated_at): the certificates still valid then, so an expired
    // one leaves the KRL when the version next moves (pruneKrls), never within one version.
    return this.#db.transaction().execute(async (tx) => {
      const version = await krlVersionOf(tx, productId);
      const asOf = version.updatedAt.toISOString();
      const { rows } = await sql<{ serial: string }>`select g.serial::text as serial from access_grants g
        where g.product_id = ${productId} and g.state = 'ended'
          and exists (select 1 from ssh_certificates c where c.grant_id = g.id and c.valid_before > g.ended_at and c.valid_before > ${asOf}::timestamptz)
        order by g.serial`.execute(tx);
      const host = await sql<{ serial: string }>`select distinct c.serial::text as serial, c.serial as n from ssh_certificates c
        where c.product_id = ${productId} and c.revoked_at is not null and c.valid_before > ${asOf}::timestamptz order by n`.execute(tx);
      return { ...version, serials: rows.map((r) => BigInt(r.serial)), hostSerials: host.rows.map((r) => BigInt(r.serial)) };
    });
  }

  async pruneKrls(at: Date): Promise<string[]> {
    // a KRL lists a certificate that has expired since its version moved: the next version drops it
    const now = at.toISOString();
    const { rows } = await sql<{ product_id: string }>`update ssh_krls k set version = k.version + 1, updated_at = ${now}::timestamptz
      where exists (select 1 from ssh_certificates c
        where c.product_id = k.product_id and c.valid_before > k.updated_at and c.valid_before <= ${now}::timestamptz
          and ((c.kind = 'host' and c.revoked_at is not null)
            or (c.kind = 'user' and exists (select 1 from access_grants g where g.id = c.grant_id and g.state = 'ended' and c.valid_before > g.ended_at))))
      returning k.product_id`.execute(this.#db);
    return rows.map((r) => r.product_id);
  }

  krlVersion(productId: string): Promise<{ version: bigint; updatedAt: Date }> {
    return krlVersionOf(this.#db, productId);
  }

  async deviceTags(deviceId: string): Promise<string[]> {
    const { rows } = await sql<{ tag: string }>`select tag from device_tags where device_id = ${deviceId} order by tag`.execute(this.#db);
    return rows.map((r) => r.tag);
  }
}

/** A product whose KRL never moved: version 0, as of the epoch (an empty KRL). */
async function krlVersionOf(db: Executor, productId: string): Promise<{ version: bigint; updatedAt: Date }> {
  const { rows } = await sql<{ version: string; updated_at: Timestamp }>`select version::text as version, updated_at from ssh_krls where product_id = ${productId}`.execute(db);
  const r = rows[0];
  return r ? { version: BigInt(r.version), updatedAt: new Date(r.updated_at) } : { version: 0n, updatedAt: new Date(0) };
}
