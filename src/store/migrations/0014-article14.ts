import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 13: CRA Article 14 reporting (docs/design/article14.md). Numbered 0014: 0013 is the CRA
 * product profile, made beside it.
 *
 * incidents: a product's severe incidents (Art 14(3)) with the awareness time their clocks run from.
 * report_cases: a case per actively exploited vulnerability of a product (its clocks run from
 * product_vulnerabilities.exploited_aware_at, so its row is written only with its first draft field
 * or submission) or per incident (written with the incident): the Member States stated, the draft
 * fields a person supplied (JSON, checked by article14/draft-update.ts), a mitigation stated
 * available. report_submissions: each report sent, by stage and the platform's reference.
 */
export const article14: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('incidents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('aware_at', 'timestamptz', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('recorded_by', 'text', (c) => c.notNull())
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('incidents_product').on('incidents').columns(['product_id', 'aware_at']).execute();
    await db.schema
      .createTable('report_cases')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('vulnerability', 'incident')`))
      .addColumn('vulnerability_id', 'text')
      .addColumn('incident_id', 'text', (c) => c.references('incidents.id').unique())
      // null: none stated (the product's are used where known)
      .addColumn('member_states', sql`text[]`)
      .addColumn('draft', 'jsonb', (c) => c.notNull())
      .addColumn('mitigation_available_at', 'timestamptz')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addForeignKeyConstraint('report_cases_product_vulnerability', ['product_id', 'vulnerability_id'], 'product_vulnerabilities', ['product_id', 'vulnerability_id'])
      .addUniqueConstraint('report_cases_vulnerability', ['product_id', 'vulnerability_id'])
      .addCheckConstraint('report_cases_subject', sql`(kind = 'vulnerability') = (vulnerability_id is not null) and (kind = 'incident') = (incident_id is not null)`)
      .addCheckConstraint('report_cases_mitigation', sql`kind = 'vulnerability' or mitigation_available_at is null`)
      .execute();
    await db.schema
      .createTable('report_submissions')
      .addColumn('case_id', 'text', (c) => c.notNull().references('report_cases.id'))
      .addColumn('stage', 'text', (c) => c.notNull().check(sql`stage in ('early_warning', 'notification', 'final', 'intermediate')`))
      .addColumn('reference', 'text', (c) => c.notNull())
      .addColumn('submitted_at', 'timestamptz', (c) => c.notNull())
      .addColumn('recipients', sql`text[]`, (c) => c.notNull())
      .addColumn('recorded_by', 'text', (c) => c.notNull())
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
      // a retried submission (its answer lost) is the same stage and reference: recorded once
      .addPrimaryKeyConstraint('report_submissions_pk', ['case_id', 'stage', 'reference'])
      .execute();
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the Article 14 migration is not reversible'));
  },
};
