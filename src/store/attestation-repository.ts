import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Clock } from '../core/clock.ts';
import type {
  AttestationKeyRecord,
  AttestationPolicyRecord,
  AttestationNonceRecord,
  AttestationStore,
  AttestationUnitOfWork,
  AttestationResultRecord,
  ManufacturerCaRecord,
  NonceConsumption,
  NonceIssue,
  NonceRate,
  NonceSpend,
  QuoteCounters,
  VerifierKeyRecord,
  RefusalWindow,
} from '../attestation/attestation-store.types.ts';
import type { CertificateStatusListener } from '../pki/certificate-status-listener.ts';
import { runUnitOfWork, type StatusAnnouncement } from './identity-repository.ts';
import { IdentityUnitOfWorkImpl } from './identity-unit-of-work.ts';
import type { AttestationKeysTable, AttestationManufacturerCasTable, AttestationPoliciesTable, AttestationNoncesTable, AttestationResultsTable, Database } from './schema.types.ts';

const bytes = (b: Uint8Array): Uint8Array => new Uint8Array(b);

const toNonce = (r: Selectable<AttestationNoncesTable>): AttestationNonceRecord => ({
  nonce: bytes(r.nonce),
  deviceId: r.device_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  usedAt: r.used_at,
});

const toKey = (r: Selectable<AttestationKeysTable>): AttestationKeyRecord => ({
  id: r.id,
  deviceId: r.device_id,
  akName: bytes(r.ak_name),
  akPublic: bytes(r.ak_public),
  ekPublic: bytes(r.ek_public),
  ekCertificate: r.ek_certificate === null ? null : bytes(r.ek_certificate),
  credentialDigest: bytes(r.credential_digest),
  challengeExpiresAt: r.challenge_expires_at,
  activatedAt: r.activated_at,
  registeredAt: r.registered_at,
  retiredAt: r.retired_at,
  lastQuoteClock: r.last_reset_count === null || r.last_restart_count === null ? null : { resetCount: Number(r.last_reset_count), restartCount: Number(r.last_restart_count) },
  // keys registered before migration 0021 had their certificate, if any, checked for the EK's key only
  ekCertificateCheck: r.ek_certificate_check ?? (r.ek_certificate === null ? 'none' : 'key-checked'),
  ekManufacturerCa: r.ek_manufacturer_ca === null ? null : bytes(r.ek_manufacturer_ca),
});

const toManufacturerCa = (r: Selectable<AttestationManufacturerCasTable>): ManufacturerCaRecord => ({
  productId: r.product_id,
  fingerprintSha256: bytes(r.fingerprint_sha256),
  certificate: bytes(r.certificate),
  subject: r.subject,
  notAfter: r.not_after,
  addedBy: r.added_by,
  addedAt: r.added_at,
  removedBy: r.removed_by,
  removedAt: r.removed_at,
});

function listedManufacturerCas(db: Kysely<Database> | Transaction<Database>, productId: string) {
  return db.selectFrom('attestation_manufacturer_cas').selectAll().where('product_id', '=', productId).where('removed_at', 'is', null).orderBy('added_at').orderBy('fingerprint_sha256');
}

async function currentKeyOf(db: Kysely<Database> | Transaction<Database>, deviceId: string): Promise<AttestationKeyRecord | undefined> {
  const r = await db
    .selectFrom('attestation_keys')
    .selectAll()
    .where('device_id', '=', deviceId)
    .where('activated_at', 'is not', null)
    .where('retired_at', 'is', null)
    .executeTakeFirst();
  return r && toKey(r);
}

const toResult = (r: Selectable<AttestationResultsTable>): AttestationResultRecord => ({
  id: r.id,
  deviceId: r.device_id,
  evidenceKind: r.evidence_kind,
  status: r.status,
  reasonCode: r.reason_code,
  trustworthiness: r.trustworthiness as Record<string, number>,
  releaseId: r.release_id,
  attestationKeyId: r.attestation_key_id,
  appraisedAt: r.appraised_at,
  expiresAt: r.expires_at,
  signedResult: r.signed_result,
  signedBy: r.signed_by,
});

/** Verifier keys (all, or one), newest first, each with the latest expiry of its results: one index probe per key. */
async function verifierKeysOf(db: Kysely<Database> | Transaction<Database>, keyId?: string): Promise<VerifierKeyRecord[]> {
  let q = db
    .selectFrom('attestation_verifier_keys as v')
    .innerJoin('keys as k', 'k.id', 'v.key_id')
    .select(['v.key_id', 'v.created_at', 'v.retired_at', 'v.successor_key_id', 'k.spki'])
    .select((eb) => eb.selectFrom('attestation_results as r').whereRef('r.signed_by', '=', 'v.key_id').select((e) => e.fn.max('r.expires_at').as('m')).as('last_expiry'));
  if (keyId !== undefined) q = q.where('v.key_id', '=', keyId);
  // the current key first, then the retired ones, the latest retired first
  const rows = await q.orderBy(sql`v.retired_at desc nulls first`).orderBy('v.created_at', 'desc').execute();
  return rows.map((r) => ({
    keyId: r.key_id,
    createdAt: r.created_at,
    retiredAt: r.retired_at,
    successorKeyId: r.successor_key_id,
    lastResultExpiresAt: r.last_expiry === null ? null : new Date(r.last_expiry),
    spki: bytes(r.spki),
  }));
}

async function latestResultOf(db: Kysely<Database> | Transaction<Database>, deviceId: string): Promise<AttestationResultRecord | undefined> {
  const r = await db.selectFrom('attestation_results').selectAll().where('device_id', '=', deviceId).orderBy('ordinal', 'desc').limit(1).executeTakeFirst();
  return r && toResult(r);
}

const toPolicy = (r: Selectable<AttestationPoliciesTable>): AttestationPolicyRecord => ({
  productId: r.product_id,
  suspendOnFailure: r.suspend_on_failure,
  requiredPcrs: r.required_pcrs.map(Number),
  setBy: r.set_by,
  setAt: r.set_at,
});

/** The identity unit of work plus the verifier's rows (migration 0019), in the same transaction. */
class AttestationUnitOfWorkImpl extends IdentityUnitOfWorkImpl implements AttestationUnitOfWork {
  async consumeNonce(nonce: Uint8Array, deviceId: string, at: Date, spend: NonceSpend): Promise<NonceConsumption> {
    // docs/design/attestation.md: a replay and an expiry are refused by the same single update.
    const r = await this.tx
      .updateTable('attestation_nonces')
      .set({ used_at: at, evidence_sha256: spend.evidenceSha256, result_id: spend.resultId })
      .where('nonce', '=', nonce)
      .where('device_id', '=', deviceId)
      .where('used_at', 'is', null)
      .where('expires_at', '>', at)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) return { outcome: 'consumed' };
    // Not consumed: why, for the answer (the row cannot come back to life, so the read cannot race
    // into a pass; a concurrent spender's update was waited for and is read committed).
    const found = await this.tx
      .selectFrom('attestation_nonces')
      .select(['used_at', 'evidence_sha256', 'result_id'])
      .where('nonce', '=', nonce)
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
    if (!found) return { outcome: 'unknown' };
    if (found.used_at === null) return { outcome: 'expired' };
    const spentBy = found.evidence_sha256 !== null && found.result_id !== null ? { evidenceSha256: bytes(found.evidence_sha256), resultId: found.result_id } : undefined;
    return { outcome: 'used', spentBy };
  }

  async findResult(deviceId: string, id: string): Promise<AttestationResultRecord | undefined> {
    const r = await this.tx.selectFrom('attestation_results').selectAll().where('id', '=', id).where('device_id', '=', deviceId).executeTakeFirst();
    return r && toResult(r);
  }

  async lockKey(deviceId: string, id: string): Promise<AttestationKeyRecord | undefined> {
    const r = await this.tx
      .selectFrom('attestation_keys')
      .selectAll()
      .where('id', '=', id)
      .where('device_id', '=', deviceId)
      .forUpdate()
      .executeTakeFirst();
    return r && toKey(r);
  }

  async lockBoundKey(akName: Uint8Array): Promise<AttestationKeyRecord | undefined> {
    const r = await this.tx
      .selectFrom('attestation_keys')
      .selectAll()
      .where('ak_name', '=', akName)
      .where('activated_at', 'is not', null)
      .forUpdate()
      .executeTakeFirst();
    return r && toKey(r);
  }

  async currentKey(deviceId: string): Promise<AttestationKeyRecord | undefined> {
    return currentKeyOf(this.tx, deviceId);
  }

  async recordQuoteClock(keyId: string, counters: QuoteCounters): Promise<void> {
    this.wrote = true;
    await this.tx.updateTable('attestation_keys').set({ last_reset_count: counters.resetCount, last_restart_count: counters.restartCount }).where('id', '=', keyId).execute();
  }

  async lockCurrentVerifierKey(): Promise<string | undefined> {
    const r = await this.tx.selectFrom('attestation_verifier_keys').select('key_id').where('retired_at', 'is', null).forUpdate().executeTakeFirst();
    return r?.key_id;
  }

  async findVerifierKey(keyId: string): Promise<VerifierKeyRecord | undefined> {
    return (await verifierKeysOf(this.tx, keyId))[0];
  }

  async rotateVerifierKey(previous: string, next: string, at: Date): Promise<void> {
    this.wrote = true;
    // retired first: the one-current index admits the new row only then
    await this.tx.updateTable('attestation_verifier_keys').set({ retired_at: at, successor_key_id: next }).where('key_id', '=', previous).where('retired_at', 'is', null).execute();
    await this.tx.insertInto('attestation_verifier_keys').values({ key_id: next, created_at: at }).execute();
  }

  latestResult(deviceId: string): Promise<AttestationResultRecord | undefined> {
    return latestResultOf(this.tx, deviceId);
  }

  async findRefusalWindow(deviceId: string, reason: string, scope: string): Promise<RefusalWindow | undefined> {
    const r = await this.tx
      .selectFrom('attestation_refusal_windows')
      .select(['recorded_at', 'suppressed'])
      .where('device_id', '=', deviceId)
      .where('reason', '=', reason)
      .where('scope', '=', scope)
      .executeTakeFirst();
    return r && { deviceId, reason, scope, recordedAt: r.recorded_at, suppressed: Number(r.suppressed) };
  }

  async saveRefusalWindow(w: RefusalWindow): Promise<void> {
    // not `wrote`: a window is the ledger's bookkeeping, not trust state
    await this.tx
      .insertInto('attestation_refusal_windows')
      .values({ device_id: w.deviceId, reason: w.reason, scope: w.scope, recorded_at: w.recordedAt, suppressed: w.suppressed })
      .onConflict((oc) => oc.columns(['device_id', 'reason', 'scope']).doUpdateSet({ recorded_at: w.recordedAt, suppressed: w.suppressed }))
      .execute();
  }

  async insertResult(a: AttestationResultRecord): Promise<void> {
    this.wrote = true;
    await this.tx
      .insertInto('attestation_results')
      .values({
        id: a.id,
        device_id: a.deviceId,
        evidence_kind: a.evidenceKind,
        status: a.status,
        reason_code: a.reasonCode,
        trustworthiness: JSON.stringify(a.trustworthiness),
        release_id: a.releaseId,
        attestation_key_id: a.attestationKeyId,
        appraised_at: a.appraisedAt,
        expires_at: a.expiresAt,
        signed_result: a.signedResult,
        signed_by: a.signedBy,
      })
      .execute();
  }

  async lockPolicy(productId: string): Promise<AttestationPolicyRecord | undefined> {
    const r = await this.tx.selectFrom('attestation_policies').selectAll().where('product_id', '=', productId).forUpdate().executeTakeFirst();
    return r && toPolicy(r);
  }

  async savePolicy(p: AttestationPolicyRecord): Promise<void> {
    this.wrote = true;
    await this.tx
      .insertInto('attestation_policies')
      .values({ product_id: p.productId, suspend_on_failure: p.suspendOnFailure, required_pcrs: sql<number[]>`${[...p.requiredPcrs]}::integer[]`, set_by: p.setBy, set_at: p.setAt })
      .onConflict((oc) => oc.column('product_id').doUpdateSet({ suspend_on_failure: p.suspendOnFailure, required_pcrs: sql<number[]>`${[...p.requiredPcrs]}::integer[]`, set_by: p.setBy, set_at: p.setAt }))
      .execute();
  }

  async lockManufacturerCa(productId: string, fingerprintSha256: Uint8Array): Promise<ManufacturerCaRecord | undefined> {
    const r = await this.tx
      .selectFrom('attestation_manufacturer_cas')
      .selectAll()
      .where('product_id', '=', productId)
      .where('fingerprint_sha256', '=', fingerprintSha256)
      .forUpdate()
      .executeTakeFirst();
    return r && toManufacturerCa(r);
  }

  async saveManufacturerCa(ca: ManufacturerCaRecord): Promise<boolean> {
    const added = { certificate: ca.certificate, subject: ca.subject, not_after: ca.notAfter, added_by: ca.addedBy, added_at: ca.addedAt, removed_by: null, removed_at: null };
    const r = await this.tx
      .insertInto('attestation_manufacturer_cas')
      .values({ product_id: ca.productId, fingerprint_sha256: ca.fingerprintSha256, ...added })
      .onConflict((oc) => oc.columns(['product_id', 'fingerprint_sha256']).doUpdateSet(added).where('attestation_manufacturer_cas.removed_at', 'is not', null))
      .returning('product_id')
      .executeTakeFirst();
    if (r !== undefined) this.wrote = true;
    return r !== undefined;
  }

  async markManufacturerCaRemoved(productId: string, fingerprintSha256: Uint8Array, by: string, at: Date): Promise<void> {
    this.wrote = true;
    await this.tx
      .updateTable('attestation_manufacturer_cas')
      .set({ removed_by: by, removed_at: at })
      .where('product_id', '=', productId)
      .where('fingerprint_sha256', '=', fingerprintSha256)
      .execute();
  }

  async shareLockManufacturerCas(productId: string): Promise<ManufacturerCaRecord[]> {
    return (await listedManufacturerCas(this.tx, productId).forShare().execute()).map(toManufacturerCa);
  }

  async activateKey(deviceId: string, id: string, at: Date): Promise<void> {
    this.wrote = true;
    await this.tx
      .updateTable('attestation_keys')
      .set({ retired_at: at })
      .where('device_id', '=', deviceId)
      .where('activated_at', 'is not', null)
      .where('retired_at', 'is', null)
      .execute();
    await this.tx.updateTable('attestation_keys').set({ activated_at: at }).where('id', '=', id).where('device_id', '=', deviceId).execute();
  }
}

/** The attestation capability's storage port, one implementation for PGlite and PostgreSQL. */
export class AttestationRepository implements AttestationStore {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #listener: CertificateStatusListener | undefined;
  readonly #announce: StatusAnnouncement | undefined;

  /** `listener`, `announce`: as the identity repository's, for a suspension an appraisal makes. */
  constructor(db: Kysely<Database>, clock: Clock, listener?: CertificateStatusListener, announce?: StatusAnnouncement) {
    this.#db = db;
    this.#clock = clock;
    this.#listener = listener;
    this.#announce = announce;
  }

  async insertNonce(n: AttestationNonceRecord, keepOutstanding: number, rate: NonceRate): Promise<NonceIssue> {
    // One statement, on one snapshot: the device's nonces since `rate.since` counted; under the
    // limit, its oldest outstanding nonces beyond the cap go as this one comes
    // (attestation_nonces_outstanding walks the device's newest first); at it, nothing changes.
    const { rows } = await sql<{ issued: number; oldest: Date | string | null }>`with recent as (
        select count(*) as n, min(created_at) as oldest from attestation_nonces
        where device_id = ${n.deviceId} and created_at > ${rate.since.toISOString()}::timestamptz),
      evicted as (
        delete from attestation_nonces where (select n from recent) < ${rate.max} and nonce in (
          select nonce from attestation_nonces
          where device_id = ${n.deviceId} and used_at is null and expires_at > ${n.createdAt.toISOString()}::timestamptz
          order by issued desc offset ${keepOutstanding - 1})),
      inserted as (
        insert into attestation_nonces (nonce, device_id, created_at, expires_at, used_at)
        select ${n.nonce}, ${n.deviceId}, ${n.createdAt.toISOString()}::timestamptz, ${n.expiresAt.toISOString()}::timestamptz, ${n.usedAt?.toISOString() ?? null}::timestamptz
        where (select n from recent) < ${rate.max}
        returning 1)
      select (select count(*) from inserted)::integer as issued, (select oldest from recent) as oldest`.execute(this.#db);
    const r = rows[0]!;
    return Number(r.issued) === 1 ? { issued: true } : { issued: false, oldest: new Date(r.oldest!) };
  }

  async appraisedPcrs(productId: string): Promise<number[]> {
    const { rows } = await sql<{ pcr: number }>`select pcr from (
        select unnest(p.required_pcrs) as pcr from attestation_policies p where p.product_id = ${productId}
        union
        select k::integer from releases r, jsonb_object_keys(r.reference_values->'pcrs') k
        where r.product_id = ${productId} and r.kind = 'firmware' and r.state = 'published' and r.reference_values is not null) x
      order by pcr`.execute(this.#db);
    return rows.map((r) => Number(r.pcr));
  }

  async purgeNonces(cutoff: Date): Promise<number> {
    const r = await this.#db.deleteFrom('attestation_nonces').where('expires_at', '<=', cutoff).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async findNonce(nonce: Uint8Array): Promise<AttestationNonceRecord | undefined> {
    const r = await this.#db.selectFrom('attestation_nonces').selectAll().where('nonce', '=', nonce).executeTakeFirst();
    return r && toNonce(r);
  }

  async findKey(deviceId: string, id: string): Promise<AttestationKeyRecord | undefined> {
    const r = await this.#db.selectFrom('attestation_keys').selectAll().where('id', '=', id).where('device_id', '=', deviceId).executeTakeFirst();
    return r && toKey(r);
  }

  currentKey(deviceId: string): Promise<AttestationKeyRecord | undefined> {
    return currentKeyOf(this.#db, deviceId);
  }

  async findBoundKey(akName: Uint8Array): Promise<AttestationKeyRecord | undefined> {
    const r = await this.#db.selectFrom('attestation_keys').selectAll().where('ak_name', '=', akName).where('activated_at', 'is not', null).executeTakeFirst();
    return r && toKey(r);
  }

  async currentVerifierKeyId(): Promise<string | undefined> {
    return (await this.#db.selectFrom('attestation_verifier_keys').select('key_id').where('retired_at', 'is', null).executeTakeFirst())?.key_id;
  }

  async claimVerifierKey(keyId: string, at: Date): Promise<string> {
    // two servers' first starts racing: the one-current index keeps the first row, the other inserts nothing
    await this.#db.insertInto('attestation_verifier_keys').values({ key_id: keyId, created_at: at }).onConflict((oc) => oc.doNothing()).execute();
    const claimed = await this.currentVerifierKeyId();
    if (claimed === undefined) throw new Error('the verifier key row is missing');
    return claimed;
  }

  verifierKeys(): Promise<VerifierKeyRecord[]> {
    return verifierKeysOf(this.#db);
  }

  async findVerifierKey(keyId: string): Promise<VerifierKeyRecord | undefined> {
    return (await verifierKeysOf(this.#db, keyId))[0];
  }

  async findPolicy(productId: string): Promise<AttestationPolicyRecord | undefined> {
    const r = await this.#db.selectFrom('attestation_policies').selectAll().where('product_id', '=', productId).executeTakeFirst();
    return r && toPolicy(r);
  }

  async listManufacturerCas(productId: string): Promise<ManufacturerCaRecord[]> {
    return (await listedManufacturerCas(this.#db, productId).execute()).map(toManufacturerCa);
  }

  latestResult(deviceId: string): Promise<AttestationResultRecord | undefined> {
    return latestResultOf(this.#db, deviceId);
  }

  async insertPendingKey(k: AttestationKeyRecord): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx.deleteFrom('attestation_keys').where('device_id', '=', k.deviceId).where('activated_at', 'is', null).execute();
      await tx
        .insertInto('attestation_keys')
        .values({
          id: k.id,
          device_id: k.deviceId,
          ak_name: k.akName,
          ak_public: k.akPublic,
          ek_public: k.ekPublic,
          ek_certificate: k.ekCertificate,
          credential_digest: k.credentialDigest,
          challenge_expires_at: k.challengeExpiresAt,
          activated_at: null,
          registered_at: k.registeredAt,
          retired_at: null,
          ek_certificate_check: k.ekCertificateCheck,
          ek_manufacturer_ca: k.ekManufacturerCa,
        })
        .execute();
    });
  }

  unitOfWork<T>(fn: (uow: AttestationUnitOfWork) => Promise<T>, options?: { at?: Date }): Promise<T> {
    return runUnitOfWork(
      this.#db,
      (tx: Transaction<Database>) => new AttestationUnitOfWorkImpl(tx, this.#listener),
      fn,
      options?.at ?? this.#clock.now(),
      this.#listener,
      this.#announce,
    );
  }
}
