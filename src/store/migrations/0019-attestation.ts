import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 15, remote attestation (docs/design/attestation.md): the verifier's state.
 *
 * attestation_nonces: each challenge, bound to the device that asked, single-use (used_at set
 * once, by the request that consumes it) and short-lived (expires_at, 60 s by default). A
 * consumed or expired nonce stays until purged, so a replay is told apart from an unknown nonce.
 *
 * attestation_keys: a device's TPM attestation keys: the AK and the EK it was made under (both
 * TPM2B_PUBLIC, the quote's qualifiedSigner hashes the EK's name in). A row is first a pending
 * registration: the credential-activation challenge (TPM2_MakeCredential) is outstanding, the
 * SHA-256 of its credential and its expiry kept (the credential itself never stored). The device
 * returning the credential activates it. Only activated AKs count: an activated AK's Name is
 * unique across all devices (an AK bound to one device can never attest for another), and a
 * device has at most one activated, unretired AK. A pending row binds nothing, so a device that
 * posts another device's AK public cannot squat on its Name.
 *
 * attestation_policies: what a product's failed appraisal does beyond the record (suspend the
 * device); no row: the default policy (record only).
 *
 * releases.reference_values: what a device running the release measures at boot, per PCR.
 *
 * attestation_results: every appraisal, passing or not: status (EAR: affirming, warning,
 * contraindicated), the code of the failed check, the trustworthiness vector, the release the
 * evidence matched, and the signed result (a JWT or CWT) a relying party verifies offline.
 */
export const attestation: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    // The reference value provider (RFC 9334 §3.3) is the release: a firmware release may carry
    // its boot measurements and the PCR values they give (updates/release-reference-values.ts).
    await db.schema.alterTable('releases').addColumn('reference_values', 'jsonb').execute();
    await db.schema
      .createTable('attestation_nonces')
      .addColumn('nonce', 'bytea', (c) => c.primaryKey().check(sql`length(nonce) between 16 and 64`))
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
      .addColumn('used_at', 'timestamptz')
      .addCheckConstraint('attestation_nonces_expiry', sql`expires_at > created_at`)
      .execute();
    await db.schema.createIndex('attestation_nonces_expiry').on('attestation_nonces').column('expires_at').execute();

    await db.schema
      .createTable('attestation_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      // TPM 2.0 Part 1 §16: nameAlg || H(TPMT_PUBLIC)
      .addColumn('ak_name', 'bytea', (c) => c.notNull())
      .addColumn('ak_public', 'bytea', (c) => c.notNull())
      .addColumn('ek_public', 'bytea', (c) => c.notNull())
      .addColumn('ek_certificate', 'bytea')
      // SHA-256 of the credential made for the activation challenge, and until when it may be returned
      .addColumn('credential_digest', 'bytea', (c) => c.notNull().check(sql`length(credential_digest) = 32`))
      .addColumn('challenge_expires_at', 'timestamptz', (c) => c.notNull())
      .addColumn('activated_at', 'timestamptz')
      .addColumn('registered_at', 'timestamptz', (c) => c.notNull())
      .addColumn('retired_at', 'timestamptz')
      .addCheckConstraint('attestation_keys_retired_activated', sql`retired_at is null or activated_at is not null`)
      .execute();
    await sql`create unique index attestation_keys_name_bound on attestation_keys (ak_name) where activated_at is not null`.execute(db);
    await sql`create unique index attestation_keys_one_current on attestation_keys (device_id) where activated_at is not null and retired_at is null`.execute(
      db,
    );
    await db.schema.createIndex('attestation_keys_device').on('attestation_keys').column('device_id').execute();

    // the verifier's signing key (in the key store): one per installation, its public key published
    await db.schema
      .createTable('attestation_verifier')
      .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
      .addColumn('key_id', 'text', (c) => c.notNull().references('keys.id'))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('attestation_policies')
      .addColumn('product_id', 'text', (c) => c.primaryKey().references('products.id'))
      .addColumn('suspend_on_failure', 'boolean', (c) => c.notNull())
      .addColumn('set_by', 'text', (c) => c.notNull())
      .addColumn('set_at', 'timestamptz', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('attestation_results')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      .addColumn('evidence_kind', 'text', (c) => c.notNull().check(sql`evidence_kind in ('tpm2-quote', 'eat-claims')`))
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('affirming', 'warning', 'contraindicated')`))
      .addColumn('reason_code', 'text')
      .addColumn('trustworthiness', 'jsonb', (c) => c.notNull())
      .addColumn('release_id', 'text', (c) => c.references('releases.id'))
      .addColumn('attestation_key_id', 'text', (c) => c.references('attestation_keys.id'))
      .addColumn('appraised_at', 'timestamptz', (c) => c.notNull())
      .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
      .addColumn('signed_result', 'text')
      // the order results were recorded in: two appraisals of one device in the same millisecond stay ordered
      .addColumn('ordinal', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity())
      // a refusal names its reason; an affirming result has none
      .addCheckConstraint('attestation_results_reason', sql`(status = 'contraindicated') = (reason_code is not null)`)
      .execute();
    await db.schema
      .createIndex('attestation_results_device_latest')
      .on('attestation_results')
      .columns(['device_id', 'ordinal desc'])
      .execute();
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the attestation migration is not reversible'));
  },
};
