import type { MadeAvailableIn } from '../article14/member-states.ts';
import type { CraClass, EventInput } from '../pki/records.types.ts';
import type { AssuranceLevel, ConformityProcedure } from './conformity-procedures.ts';
import type { DatePrecision } from './cra-dates.ts';

/**
 * A product's CRA profile (docs/design/cra.md). It lives on the product's row: `category` is the
 * product's `craClass` and `supportUntil` its `supportUntil`, which issuance, batches and release
 * retention read.
 */
export interface CraProfileRecord {
  productId: string;
  sku: string;
  category: CraClass;
  /** an id of cra-annex-entries.ts; null for `default` (and for products that predate the profile) */
  annexEntry: string | null;
  /** `YYYY-MM` or `YYYY-MM-DD`, as declared */
  placedOnMarket: string | null;
  /** the last instant of the support period */
  supportUntil: Date;
  /** how the end was declared: a day (`2031-12-31`) or a month (`2031-12`) */
  supportUntilPrecision: DatePrecision;
  /** why the support period is shorter than five years (Art 13(8)), and who said so */
  supportJustification: Recorded<string> | null;
  vulnerabilityContact: string | null;
  cvdPolicyUrl: string | null;
  preferredLanguages: string[];
  harmonisedStandardsAppliedInFull: boolean;
  certificationRequiredByDelegatedAct: boolean;
  /** the conformity assessment procedure chosen, and who chose it */
  route: Recorded<{ procedure: ConformityProcedure; assuranceLevel: AssuranceLevel | null }> | null;
  /** where the product is made available (Art 14(2)(a), (4)(a)), and who recorded it */
  memberStates: Recorded<MadeAvailableIn> | null;
}

export interface Recorded<T> {
  value: T;
  by: string;
  at: Date;
}

/** A partial change: a field absent is kept, null clears it. */
export interface CraProfilePatch {
  category?: CraClass;
  annexEntry?: string | null;
  placedOnMarket?: string | null;
  supportUntil?: string;
  supportPeriodJustification?: string | null;
  vulnerabilityContact?: string | null;
  cvdPolicyUrl?: string | null;
  preferredLanguages?: string[] | null;
  harmonisedStandardsAppliedInFull?: boolean;
  certificationRequiredByDelegatedAct?: boolean;
  route?: { procedure: ConformityProcedure; assuranceLevel: AssuranceLevel | null } | null;
  memberStates?: MadeAvailableIn | null;
}

/** The writes of a profile change, in the unit of work that records its event (DESIGN rule 1). */
export interface CraProfileUnitOfWork {
  /** The product's profile, its row locked until commit; undefined when there is no such product. */
  lockCraProfile(sku: string): Promise<CraProfileRecord | undefined>;
  saveCraProfile(profile: CraProfileRecord): Promise<void>;
  recordEvents(events: EventInput[]): void;
}

/** The storage port of CRA profiles; store/cra-profile-repository.ts fulfils it. */
export interface CraProfileStore {
  findCraProfile(sku: string): Promise<CraProfileRecord | undefined>;
  unitOfWork<T>(fn: (uow: CraProfileUnitOfWork) => Promise<T>, options?: { at?: Date }): Promise<T>;
}
