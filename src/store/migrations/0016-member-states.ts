import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 13: where the product is made available (CRA Art 14(2)(a), (4)(a)), on its CRA profile
 * (docs/design/cra.md), so that Article 14 drafts pre-fill it.
 *
 * member_states: null (not recorded), `{all-eu}` (the 27), or EU/EEA Member State codes by the EU's
 * usage (Greece `EL`), each once. member_states_set_by, _at: who recorded it, when.
 * report_cases.member_states: the codes a case states were ISO's (`GR`); they become the EU's
 * (`EL`), the one code everything now stores and shows. Recorded submissions (`csirt:GR`) and ledger
 * events keep what was written then.
 */
export const memberStatesMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    // the codes as of this migration (article14/member-states.ts): EU-27 with Greece EL, and IS, LI, NO
    const codes = sql`array['AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'EL', 'ES', 'FI', 'FR', 'HR', 'HU', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK', 'IS', 'LI', 'NO']::text[]`;
    await db.schema
      .alterTable('products')
      .addColumn('member_states', sql`text[]`, (c) =>
        c.check(sql`member_states is null or member_states = array['all-eu']::text[] or (cardinality(member_states) > 0 and member_states <@ ${codes})`),
      )
      .addColumn('member_states_set_by', 'text')
      .addColumn('member_states_set_at', 'timestamptz')
      .execute();
    await sql`update report_cases set member_states = array_replace(member_states, 'GR', 'EL') where 'GR' = any(member_states)`.execute(db);
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the member states migration is not reversible'));
  },
};
