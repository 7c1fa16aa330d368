import type { Clock } from '../core/clock.ts';
import { DAY_MS } from '../core/clock.ts';
import { TrustplaneError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Random } from '../core/random.ts';
import type { EventInput } from '../pki/records.types.ts';
import { expiryConditionOf, instantOf, kindOf, optionalText, outcomeOf, text } from './access-path-input.ts';
import type { AccessPathFinding, AccessPathPolicy, AccessPathRecord, AccessPathReview, NewAccessPath } from './access-paths.types.ts';

/** A change to one path, decided on its record as locked in the store's transaction. */
export interface AccessPathChange {
  update: Partial<Pick<AccessPathRecord, 'owner' | 'expiresAt' | 'expiryCondition' | 'reviewDue'>> & { retired?: { at: Date; by: string; reason: string } };
  review: AccessPathReview | null;
  event: EventInput;
}

export interface AccessPathFilter {
  kind?: string;
  productId?: string;
  /**
   * Ended paths too: retired ones, and trustplane's own past their expiry (a token that expired).
   * Default: the live ones, at `at`. Tokens live hours: without this the list would fill with them.
   */
  includeEnded?: boolean;
  at?: Date;
}

/** The register's storage port; store/access-path-repository.ts fulfils it. */
export interface AccessPathStore {
  /** writes the path and its `access_path.registered` event in one transaction */
  register(path: NewAccessPath): Promise<AccessPathRecord>;
  find(id: string): Promise<AccessPathRecord | undefined>;
  list(filter: AccessPathFilter): Promise<AccessPathRecord[]>;
  reviewsOf(id: string): Promise<AccessPathReview[]>;
  /** locks the path, applies `decide`'s change, review and event in one transaction; ACCESS_PATH_NOT_FOUND when none */
  change(id: string, decide: (path: AccessPathRecord) => AccessPathChange, at: Date): Promise<AccessPathRecord>;
}

/** The event a registration writes, whoever registers (the API, the token code, the SSH CA code). */
export function registeredEvent(p: NewAccessPath): EventInput {
  return {
    actor: p.registeredBy,
    action: 'access_path.registered',
    subjectType: 'access_path',
    subjectId: p.id,
    details: {
      kind: p.kind,
      name: p.name,
      productId: p.productId,
      scope: p.scope,
      owner: p.owner,
      expiresAt: p.expiresAt?.toISOString() ?? null,
      expiryCondition: p.expiryCondition,
      reviewDue: p.reviewDue.toISOString(),
      source: p.source,
      systemRef: p.systemRef,
    },
  };
}

/** The default review date: the policy's interval from now, or the expiry when that is sooner. */
export function defaultReviewDue(now: Date, expiresAt: Date | null, policy: AccessPathPolicy): Date {
  const interval = new Date(now.getTime() + policy.reviewIntervalDays * DAY_MS);
  return expiresAt !== null && expiresAt.getTime() < interval.getTime() ? expiresAt : interval;
}

function checkReviewDue(reviewDue: Date, now: Date, policy: AccessPathPolicy): void {
  if (reviewDue.getTime() <= now.getTime()) throw new TrustplaneError('VALIDATION_FAILED', 'reviewDue must be in the future', { details: { field: 'reviewDue' } });
  if (reviewDue.getTime() > now.getTime() + policy.maxReviewIntervalDays * DAY_MS) {
    throw new TrustplaneError('VALIDATION_FAILED', `reviewDue must be within ${policy.maxReviewIntervalDays} days: a condition is only ever checked by a person at a review`, { details: { field: 'reviewDue' } });
  }
}

/**
 * Every registration passes here, a person's or trustplane's own: a kind from the list, a name,
 * an expiry (if any) in the future, a review date in the future and within the policy's interval.
 */
export function checkNewAccessPath(p: NewAccessPath, now: Date, policy: AccessPathPolicy): NewAccessPath {
  kindOf(p.kind);
  text('name', p.name, 200);
  optionalText('owner', p.owner, 200);
  optionalText('scope', p.scope, 64);
  optionalText('description', p.description, 2000);
  expiryConditionOf(p.expiryCondition);
  if (p.expiresAt !== null && (Number.isNaN(p.expiresAt.getTime()) || p.expiresAt.getTime() <= now.getTime())) {
    throw new TrustplaneError('VALIDATION_FAILED', 'expiresAt must be in the future', { details: { field: 'expiresAt' } });
  }
  if (Number.isNaN(p.reviewDue.getTime())) throw new TrustplaneError('VALIDATION_FAILED', 'reviewDue is not a date', { details: { field: 'reviewDue' } });
  checkReviewDue(p.reviewDue, now, policy);
  if (p.source === 'system' && p.systemRef === null) throw new TrustplaneError('INTERNAL', 'a system path names what it stands for (systemRef)');
  return p;
}

/** Why the report names a path (none: not named). Retired paths, and system paths past their expiry (they end by themselves), have none. */
export function findingsOf(p: AccessPathRecord, now: Date): AccessPathFinding[] {
  if (p.retired !== null) return [];
  const expired = p.expiresAt !== null && p.expiresAt.getTime() <= now.getTime();
  // trustplane enforces its own paths' expiry (a token past it authenticates nothing): ended, nothing to do
  if (expired && p.source === 'system') return [];
  const findings: AccessPathFinding[] = [];
  if (p.owner === null) findings.push('no-owner');
  if (p.expiresAt === null && p.expiryCondition === null) findings.push('no-expiry');
  // a vendor account or debug port does not close itself on its date: someone confirms it and retires it
  if (expired) findings.push('expiry-passed');
  if (p.reviewDue.getTime() <= now.getTime()) findings.push('review-overdue');
  return findings;
}

/** `active`, `retired`, or `expired` (past its date, not retired). */
export function stateOf(p: AccessPathRecord, now: Date): 'active' | 'expired' | 'retired' {
  if (p.retired !== null) return 'retired';
  return p.expiresAt !== null && p.expiresAt.getTime() <= now.getTime() ? 'expired' : 'active';
}

/** The register's use cases: add, review, retire, report. The routes call these; validation is here. */
export class AccessPaths {
  readonly store: AccessPathStore;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly policy: AccessPathPolicy;

  constructor(store: AccessPathStore, clock: Clock, random: Random, policy: AccessPathPolicy) {
    this.store = store;
    this.#clock = clock;
    this.#random = random;
    this.policy = policy;
  }

  now(): Date {
    return this.#clock.now();
  }

  /**
   * A person registers a path. No owner or no expiry is allowed — the path exists whether or not
   * anyone owns it, and the register is where it gets named — but each is a warning, and the report
   * names the path until a review records what is missing.
   */
  async add(body: Record<string, unknown>, product: { id: string } | null, actor: string): Promise<{ path: AccessPathRecord; warnings: string[] }> {
    const now = this.#clock.now();
    const expiresAt = instantOf('expiresAt', body.expiresAt);
    const given = instantOf('reviewDue', body.reviewDue);
    const path = checkNewAccessPath(
      {
        id: newId('acp', this.#random),
        kind: kindOf(body.kind),
        name: text('name', body.name, 200),
        productId: product?.id ?? null,
        scope: optionalText('scope', body.scope, 64),
        description: optionalText('description', body.description, 2000),
        owner: optionalText('owner', body.owner, 200),
        expiresAt,
        expiryCondition: expiryConditionOf(body.expiryCondition),
        reviewDue: given ?? defaultReviewDue(now, expiresAt, this.policy),
        source: 'manual',
        systemRef: null,
        registeredBy: actor,
        registeredAt: now,
      },
      now,
      this.policy,
    );
    const warnings: string[] = [];
    if (path.owner === null) warnings.push('no owner: `access-path report` names this path until a review records one');
    if (path.expiresAt === null && path.expiryCondition === null) warnings.push('no expiry (neither a date nor a condition): standing access, named by `access-path report` until a review records one');
    return { path: await this.store.register(path), warnings };
  }

  async show(id: string): Promise<{ path: AccessPathRecord; reviews: AccessPathReview[] }> {
    const path = await this.store.find(id);
    if (!path) throw new TrustplaneError('ACCESS_PATH_NOT_FOUND');
    return { path, reviews: await this.store.reviewsOf(id) };
  }

  /**
   * A review: who, when, the outcome. `keep` sets the next review date (given, or the default
   * interval, never past the expiry) and may record what the path lacked (an owner, an expiry);
   * `retire` ends it. A system path mirrors what it stands for: its owner and expiry are not set here.
   */
  review(id: string, body: Record<string, unknown>, actor: string): Promise<AccessPathRecord> {
    const now = this.#clock.now();
    const outcome = outcomeOf(body.outcome);
    const note = optionalText('note', body.note, 2000);
    const owner = body.owner === undefined ? undefined : text('owner', body.owner, 200);
    const expiresAt = body.expiresAt === undefined ? undefined : instantOf('expiresAt', body.expiresAt);
    const expiryCondition = body.expiryCondition === undefined ? undefined : expiryConditionOf(body.expiryCondition);
    const given = instantOf('nextReviewDue', body.nextReviewDue);
    if (expiresAt instanceof Date && expiresAt.getTime() <= now.getTime()) throw new TrustplaneError('VALIDATION_FAILED', 'expiresAt must be in the future', { details: { field: 'expiresAt' } });
    if (outcome === 'retire' && (given !== null || owner !== undefined || expiresAt !== undefined || expiryCondition !== undefined)) {
      throw new TrustplaneError('VALIDATION_FAILED', 'a review that retires the path sets nothing else', { details: { field: 'outcome' } });
    }
    if (given !== null) {
      try {
        checkReviewDue(given, now, this.policy);
      } catch {
        throw new TrustplaneError('VALIDATION_FAILED', `nextReviewDue must be in the future and within ${this.policy.maxReviewIntervalDays} days`, { details: { field: 'nextReviewDue' } });
      }
    }
    return this.store.change(
      id,
      (p) => {
        if (p.retired !== null) throw new TrustplaneError('ACCESS_PATH_RETIRED', `retired ${p.retired.at.toISOString()} by ${p.retired.by}`);
        const changes: Record<string, { from: unknown; to: unknown }> = {};
        const set = <K extends 'owner' | 'expiresAt' | 'expiryCondition'>(key: K, to: AccessPathRecord[K] | undefined): void => {
          if (to === undefined) return;
          const from = p[key];
          const same = from instanceof Date && to instanceof Date ? from.getTime() === to.getTime() : from === to;
          if (!same) changes[key] = { from: from instanceof Date ? from.toISOString() : from, to: to instanceof Date ? to.toISOString() : to };
        };
        set('owner', owner);
        set('expiresAt', expiresAt);
        set('expiryCondition', expiryCondition);
        if (p.source === 'system' && Object.keys(changes).length > 0) {
          throw new TrustplaneError('VALIDATION_FAILED', `a path trustplane registered mirrors ${p.systemRef ?? 'what it stands for'}: its owner and expiry change there`, { details: { field: Object.keys(changes)[0] } });
        }
        const newExpiry = expiresAt === undefined ? p.expiresAt : expiresAt;
        const nextReviewDue = outcome === 'retire' ? null : (given ?? defaultReviewDue(now, newExpiry !== null && newExpiry.getTime() > now.getTime() ? newExpiry : null, this.policy));
        const review: AccessPathReview = { at: now, by: actor, outcome, note, nextReviewDue, changes };
        const update: AccessPathChange['update'] = {};
        if (owner !== undefined) update.owner = owner;
        if (expiresAt !== undefined) update.expiresAt = expiresAt;
        if (expiryCondition !== undefined) update.expiryCondition = expiryCondition;
        if (nextReviewDue !== null) update.reviewDue = nextReviewDue;
        if (outcome === 'retire') update.retired = { at: now, by: actor, reason: note ?? 'retired at review' };
        const event: EventInput = {
          actor,
          action: 'access_path.reviewed',
          subjectType: 'access_path',
          subjectId: id,
          details: { outcome, note, nextReviewDue: nextReviewDue?.toISOString() ?? null, previousReviewDue: p.reviewDue.toISOString(), changes },
        };
        return { update, review, event };
      },
      now,
    );
  }

  /** Ends a path: its record stays, with who retired it, when and why. */
  retire(id: string, body: Record<string, unknown>, actor: string): Promise<AccessPathRecord> {
    const now = this.#clock.now();
    const reason = text('reason', body.reason, 500);
    return this.store.change(
      id,
      (p) => {
        if (p.retired !== null) throw new TrustplaneError('ACCESS_PATH_RETIRED', `retired ${p.retired.at.toISOString()} by ${p.retired.by}`);
        if (p.source === 'system') throw new TrustplaneError('VALIDATION_FAILED', `trustplane retires this path itself when ${p.systemRef ?? 'what it stands for'} ends: end that instead`, { details: { field: 'id' } });
        return { update: { retired: { at: now, by: actor, reason } }, review: null, event: retiredEvent(id, actor, reason) };
      },
      now,
    );
  }

  /** The paths the report names, each with why, at the server's clock. */
  async report(filter: Omit<AccessPathFilter, 'includeEnded' | 'at'>): Promise<{ at: Date; items: { path: AccessPathRecord; findings: AccessPathFinding[] }[]; checked: number }> {
    const at = this.#clock.now();
    const paths = await this.store.list({ ...filter, includeEnded: false, at });
    const items = paths.map((path) => ({ path, findings: findingsOf(path, at) })).filter((i) => i.findings.length > 0);
    return { at, items, checked: paths.length };
  }
}

export function retiredEvent(id: string, actor: string, reason: string): EventInput {
  return { actor, action: 'access_path.retired', subjectType: 'access_path', subjectId: id, details: { reason } };
}
