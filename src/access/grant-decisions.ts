import { TrustplaneError } from '../core/errors.ts';
import { actorName, type Actor, type ProductRecord } from '../pki/records.types.ts';
import { requireText } from '../pki/validation.ts';
import { GRANT_SUBJECT, type AccessContext } from './access-context.ts';
import type { AccessUnitOfWork } from './access-store.types.ts';
import { grantStatus, type AccessGrant } from './access.types.ts';
import { tokenOwner } from './grant-requests.ts';

/** A decision as asked: an optional note (approve, deny, review) or the reason (end). */
export interface DecisionInput {
  note?: unknown;
}

/**
 * An approver (or admin) approves someone else's request: the grant's window starts now and
 * lasts its duration, which must still be within the policy (it may have shrunk since).
 */
export async function approveGrant(ctx: AccessContext, product: ProductRecord, grantId: string, input: DecisionInput, actor: Actor): Promise<AccessGrant> {
  // read before the unit of work: on the embedded store a read beside it would wait for its connection
  const policy = await ctx.store.findPolicy(product.id);
  return decide(ctx, product, grantId, input, actor, 'approved', (grant, now, note) => {
    if (grant.durationSeconds > policy.maxDurationSeconds) {
      throw new TrustplaneError('ACCESS_DURATION_OVER_POLICY', `the product's policy now allows access for at most ${policy.maxDurationSeconds} s`, { details: { maxSeconds: policy.maxDurationSeconds } });
    }
    const validUntil = new Date(now.getTime() + grant.durationSeconds * 1000);
    return Promise.resolve({
      grant: { ...grant, state: 'approved', decidedBy: actorName(actor), decidedAt: now, decisionNote: note, validFrom: now, validUntil },
      action: 'access.granted',
      details: { approvedBy: tokenOwner(actor), validFrom: now.toISOString(), validUntil: validUntil.toISOString() },
    });
  });
}

export function denyGrant(ctx: AccessContext, product: ProductRecord, grantId: string, input: DecisionInput, actor: Actor): Promise<AccessGrant> {
  return decide(ctx, product, grantId, input, actor, 'denied', (grant, now, note) =>
    Promise.resolve({ grant: { ...grant, state: 'denied', decidedBy: actorName(actor), decidedAt: now, decisionNote: note }, action: 'access.denied', details: { deniedBy: tokenOwner(actor) } }),
  );
}

type Decision = (grant: AccessGrant, now: Date, note: string | null) => Promise<{ grant: AccessGrant; action: string; details: Record<string, unknown> }>;

/** The steps every decision shares: someone else's token, a request still awaiting one, its event. */
async function decide(ctx: AccessContext, product: ProductRecord, grantId: string, input: DecisionInput, actor: Actor, outcome: 'approved' | 'denied', decision: Decision): Promise<AccessGrant> {
  const decider = tokenOwner(actor);
  const note = noteOf(input.note, 'note');
  const now = ctx.identity.clock.now();
  return ctx.store.unitOfWork(async (uow) => {
    const grant = await lockedGrant(uow, product, grantId);
    // compared by the tokens' owners: a second token of the same person is the same person
    if (grant.requester === decider) throw new TrustplaneError('ACCESS_SELF_APPROVAL', 'the requester cannot decide on their own request');
    // the same decision by the same person again (a retry whose answer was lost): the grant as decided, nothing written
    if (grant.state === outcome && grant.decidedBy === actorName(actor)) return grant;
    const status = grantStatus(grant, now);
    if (status !== 'requested') throw new TrustplaneError('ACCESS_GRANT_STATE_CONFLICT', `the grant is ${status}`, { details: { status } });
    const decided = await decision(grant, now, note);
    await uow.updateGrant(decided.grant);
    uow.recordEvents([
      { actor: actorName(actor), action: decided.action, subjectType: GRANT_SUBJECT, subjectId: grant.id, details: { product: product.sku, serial: grant.serial.toString(), requester: grant.requester, ...decided.details, ...(note === null ? {} : { note }) } },
    ]);
    return decided.grant;
  }, { at: now });
}

/** Someone other than the requester looks at a break-glass grant afterwards; it leaves the unreviewed list. */
export async function reviewBreakGlass(ctx: AccessContext, product: ProductRecord, grantId: string, input: DecisionInput, actor: Actor): Promise<AccessGrant> {
  const reviewer = tokenOwner(actor);
  const note = noteOf(input.note, 'note');
  const now = ctx.identity.clock.now();
  return ctx.store.unitOfWork(async (uow) => {
    const grant = await lockedGrant(uow, product, grantId);
    if (grant.requester === reviewer) throw new TrustplaneError('ACCESS_SELF_APPROVAL', 'a break-glass grant is reviewed by someone other than who used it');
    if (!grant.breakGlass) throw new TrustplaneError('ACCESS_GRANT_STATE_CONFLICT', 'only break-glass grants are reviewed');
    if (grant.reviewedAt !== null) throw new TrustplaneError('ACCESS_GRANT_STATE_CONFLICT', `the grant was reviewed by ${grant.reviewedBy ?? 'someone'}`);
    const reviewed: AccessGrant = { ...grant, reviewedBy: actorName(actor), reviewedAt: now, reviewNote: note };
    await uow.updateGrant(reviewed);
    uow.recordEvents([
      {
        actor: actorName(actor),
        action: 'access.break_glass_reviewed',
        subjectType: GRANT_SUBJECT,
        subjectId: grant.id,
        details: { product: product.sku, serial: grant.serial.toString(), requester: grant.requester, reviewedBy: reviewer, status: grantStatus(grant, now), ...(note === null ? {} : { note }) },
      },
    ]);
    return reviewed;
  }, { at: now });
}

/**
 * Ends a grant before its time: awaiting approval (withdrawn) or approved and current. Its
 * certificates' serial goes into the product's KRL in the same transaction (a new KRL version).
 * Who may: holders of `access:approve`, and the requester for their own grant (giving access
 * up is always safe). Ending an ended grant again changes nothing and answers the grant.
 */
export async function endGrant(ctx: AccessContext, product: ProductRecord, grantId: string, input: { reason: unknown }, actor: Actor, mayEndOthers: boolean): Promise<AccessGrant> {
  const owner = tokenOwner(actor);
  const reason = requireText('reason', input.reason, 500);
  const now = ctx.identity.clock.now();
  return ctx.store.unitOfWork(async (uow) => {
    const grant = await lockedGrant(uow, product, grantId);
    if (!mayEndOthers && grant.requester !== owner) throw new TrustplaneError('FORBIDDEN', 'a technician ends only their own grants');
    if (grant.state === 'ended') return grant;
    const status = grantStatus(grant, now);
    if (status !== 'requested' && status !== 'approved') throw new TrustplaneError('ACCESS_GRANT_STATE_CONFLICT', `the grant is ${status}`, { details: { status } });
    const ended: AccessGrant = { ...grant, state: 'ended', endedBy: actorName(actor), endedAt: now, endReason: reason };
    await uow.updateGrant(ended);
    const revoked = await endCertificates(uow, product, grant, now);
    uow.recordEvents([{ actor: actorName(actor), action: 'access.ended', subjectType: GRANT_SUBJECT, subjectId: grant.id, details: { product: product.sku, serial: grant.serial.toString(), requester: grant.requester, endedBy: owner, reason, krl: revoked } }]);
    return ended;
  }, { at: now });
}

/** A grant ended with certificates still valid: the product's KRL moves to a version that lists its serial. */
export async function endCertificates(uow: AccessUnitOfWork, product: ProductRecord, grant: AccessGrant, now: Date): Promise<boolean> {
  const live = (await uow.listCertificates(grant.id)).some((c) => c.validBefore.getTime() > now.getTime());
  if (live) await uow.nextKrlVersion(product.id, now);
  return live;
}

export async function lockedGrant(uow: AccessUnitOfWork, product: ProductRecord, grantId: string): Promise<AccessGrant> {
  const grant = await uow.lockGrant(product.id, grantId);
  if (!grant) throw new TrustplaneError('ACCESS_GRANT_NOT_FOUND');
  return grant;
}

function noteOf(value: unknown, field: string): string | null {
  return value === undefined || value === null ? null : requireText(field, value, 500);
}
