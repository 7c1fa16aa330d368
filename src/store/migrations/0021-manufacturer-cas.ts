import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 15, EK certificates (docs/design/attestation.md, "Trusted TPM manufacturer CAs"):
 *
 * attestation_manufacturer_cas: per product, the TPM manufacturer CA certificates (root or issuing
 * CA, DER) an EK certificate must chain to. A product with none keeps AK registration by credential
 * activation alone. One row per (product, SHA-256 of the DER). A removed CA keeps its row with
 * removed_at set, so a retried removal answers as the first did; adding it again clears it. Each
 * change is in the ledger (`attestation.manufacturer_ca_added` / `_removed`).
 *
 * attestation_keys.ek_certificate_check: what was checked of the EK certificate when the AK was
 * registered — 'none' (no certificate), 'key-checked' (it certifies the EK; the product trusted no
 * manufacturer CA), 'chain-verified' (and it chains to ek_manufacturer_ca, that CA's fingerprint).
 * Null for keys registered before this migration ('none' or 'key-checked', the event says which).
 */
export const manufacturerCas: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('attestation_manufacturer_cas')
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('fingerprint_sha256', 'bytea', (c) => c.notNull().check(sql`length(fingerprint_sha256) = 32`))
      .addColumn('certificate', 'bytea', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('not_after', 'timestamptz', (c) => c.notNull())
      .addColumn('added_by', 'text', (c) => c.notNull())
      .addColumn('added_at', 'timestamptz', (c) => c.notNull())
      .addColumn('removed_by', 'text')
      .addColumn('removed_at', 'timestamptz')
      .addCheckConstraint('attestation_manufacturer_cas_removed', sql`(removed_at is null) = (removed_by is null)`)
      .addPrimaryKeyConstraint('attestation_manufacturer_cas_pk', ['product_id', 'fingerprint_sha256'])
      .execute();
    await db.schema
      .alterTable('attestation_keys')
      .addColumn('ek_certificate_check', 'text', (c) => c.check(sql`ek_certificate_check in ('none', 'key-checked', 'chain-verified')`))
      .addColumn('ek_manufacturer_ca', 'bytea')
      .execute();
    await sql`alter table attestation_keys add constraint attestation_keys_chain_names_ca check ((ek_certificate_check = 'chain-verified') = (ek_manufacturer_ca is not null))`.execute(db);
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the manufacturer CA migration is not reversible'));
  },
};
