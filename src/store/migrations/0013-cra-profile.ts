import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 13: the product's CRA profile (docs/design/cra.md), on the product's row beside the
 * category (`cra_class`) and support period end (`support_until`) it already had.
 *
 * cra_annex_entry: the Annex III or IV entry (`III-I-13`). placed_on_market: `YYYY-MM` or
 * `YYYY-MM-DD` as declared. support_until_precision: whether the end was declared as a day or a
 * month (Art 13(19)). support_justification*: why the period is under five years, who, when
 * (Art 13(8)). vulnerability_contact, cvd_policy_url, security_languages: security.txt (RFC 9116).
 * harmonised_standards_in_full, certification_required: the conditions of Art 32(2) and 8(1).
 * conformity_procedure, assurance_level, route_chosen_*: the route chosen (Art 32), who, when.
 * Existing products keep their values: precision `day`, nothing else recorded.
 */
export const craProfile: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('products')
      .addColumn('cra_annex_entry', 'text')
      .addColumn('placed_on_market', 'text', (c) => c.check(sql`placed_on_market ~ '^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$'`))
      .addColumn('support_until_precision', 'text', (c) => c.notNull().defaultTo('day').check(sql`support_until_precision in ('day', 'month')`))
      .addColumn('support_justification', 'text')
      .addColumn('support_justification_by', 'text')
      .addColumn('support_justification_at', 'timestamptz')
      .addColumn('vulnerability_contact', 'text')
      .addColumn('cvd_policy_url', 'text')
      .addColumn('security_languages', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
      .addColumn('harmonised_standards_in_full', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('certification_required', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('conformity_procedure', 'text', (c) => c.check(sql`conformity_procedure in ('A', 'B+C', 'H', 'eu-certification')`))
      .addColumn('assurance_level', 'text', (c) => c.check(sql`assurance_level in ('basic', 'substantial', 'high')`))
      .addColumn('route_chosen_by', 'text')
      .addColumn('route_chosen_at', 'timestamptz')
      .execute();
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the CRA profile migration is not reversible'));
  },
};
