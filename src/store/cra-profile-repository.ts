import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Clock } from '../core/clock.ts';
import type { AssuranceLevel, ConformityProcedure } from '../compliance/conformity-procedures.ts';
import type { DatePrecision } from '../compliance/cra-dates.ts';
import type { CraProfileRecord, CraProfileStore, CraProfileUnitOfWork } from '../compliance/cra-profile.types.ts';
import type { CraClass } from '../pki/records.types.ts';
import { runUnitOfWork } from './identity-repository.ts';
import { IdentityUnitOfWorkImpl } from './identity-unit-of-work.ts';
import { madeAvailableIn } from './identity-rows.ts';
import type { MadeAvailableIn } from '../article14/member-states.ts';
import type { Database, ProductsTable } from './schema.types.ts';

const toCraProfile = (r: Selectable<ProductsTable>): CraProfileRecord => ({
  productId: r.id,
  sku: r.sku,
  category: r.cra_class as CraClass,
  annexEntry: r.cra_annex_entry,
  placedOnMarket: r.placed_on_market,
  supportUntil: r.support_until,
  supportUntilPrecision: r.support_until_precision as DatePrecision,
  supportJustification:
    r.support_justification === null || r.support_justification_by === null || r.support_justification_at === null
      ? null
      : { value: r.support_justification, by: r.support_justification_by, at: r.support_justification_at },
  vulnerabilityContact: r.vulnerability_contact,
  cvdPolicyUrl: r.cvd_policy_url,
  preferredLanguages: r.security_languages,
  harmonisedStandardsAppliedInFull: r.harmonised_standards_in_full,
  certificationRequiredByDelegatedAct: r.certification_required,
  route:
    r.conformity_procedure === null || r.route_chosen_by === null || r.route_chosen_at === null
      ? null
      : { value: { procedure: r.conformity_procedure as ConformityProcedure, assuranceLevel: r.assurance_level as AssuranceLevel | null }, by: r.route_chosen_by, at: r.route_chosen_at },
  memberStates:
    r.member_states === null || r.member_states_set_by === null || r.member_states_set_at === null
      ? null
      : { value: madeAvailableIn(r.member_states) as MadeAvailableIn, by: r.member_states_set_by, at: r.member_states_set_at },
});

/** The identity unit of work, plus the product row's CRA profile columns, in the same transaction. */
class CraProfileUnitOfWorkImpl extends IdentityUnitOfWorkImpl implements CraProfileUnitOfWork {
  async lockCraProfile(sku: string): Promise<CraProfileRecord | undefined> {
    const r = await this.tx.selectFrom('products').selectAll().where('sku', '=', sku).forUpdate().executeTakeFirst();
    return r && toCraProfile(r);
  }

  async saveCraProfile(p: CraProfileRecord): Promise<void> {
    this.wrote = true;
    await this.tx
      .updateTable('products')
      .set({
        cra_class: p.category,
        cra_annex_entry: p.annexEntry,
        placed_on_market: p.placedOnMarket,
        support_until: p.supportUntil,
        support_until_precision: p.supportUntilPrecision,
        support_justification: p.supportJustification?.value ?? null,
        support_justification_by: p.supportJustification?.by ?? null,
        support_justification_at: p.supportJustification?.at ?? null,
        vulnerability_contact: p.vulnerabilityContact,
        cvd_policy_url: p.cvdPolicyUrl,
        security_languages: p.preferredLanguages,
        harmonised_standards_in_full: p.harmonisedStandardsAppliedInFull,
        certification_required: p.certificationRequiredByDelegatedAct,
        conformity_procedure: p.route?.value.procedure ?? null,
        assurance_level: p.route?.value.assuranceLevel ?? null,
        route_chosen_by: p.route?.by ?? null,
        route_chosen_at: p.route?.at ?? null,
        member_states: p.memberStates === null ? null : p.memberStates.value === 'all-eu' ? ['all-eu'] : p.memberStates.value,
        member_states_set_by: p.memberStates?.by ?? null,
        member_states_set_at: p.memberStates?.at ?? null,
      })
      .where('id', '=', p.productId)
      .execute();
  }
}

/** The CRA profile's storage port, one implementation for PGlite and PostgreSQL. */
export class CraProfileRepository implements CraProfileStore {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;

  constructor(db: Kysely<Database>, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  async findCraProfile(sku: string): Promise<CraProfileRecord | undefined> {
    const r = await this.#db.selectFrom('products').selectAll().where('sku', '=', sku).executeTakeFirst();
    return r && toCraProfile(r);
  }

  unitOfWork<T>(fn: (uow: CraProfileUnitOfWork) => Promise<T>, options?: { at?: Date }): Promise<T> {
    return runUnitOfWork(this.#db, (tx: Transaction<Database>) => new CraProfileUnitOfWorkImpl(tx), fn, options?.at ?? this.#clock.now());
  }
}
