import { TrustplaneError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { actorName, type Actor, type ProductRecord } from '../pki/records.types.ts';
import { DEVICE_SERIAL_PATTERN, requireInteger, requireMatch, requireText, TAG_PATTERN } from '../pki/validation.ts';
import { GRANT_SUBJECT, type AccessContext } from './access-context.ts';
import { MAX_GRANT_SECONDS } from './access-policy.ts';
import type { AccessGrant, AccessPolicy, GrantTarget } from './access.types.ts';
import { grantEventDetails } from './grant-views.ts';

export const MAX_GRANT_DEVICES = 100;

/** A request as asked (attacker-controlled JSON; the route's schema checked its shape). */
export interface AccessRequestInput {
  devices?: unknown;
  tag?: unknown;
  product?: unknown;
  purpose: unknown;
  ticket?: unknown;
  durationSeconds: unknown;
  /** self-approved, the policy's shortest maximum, listed until someone else reviews it */
  breakGlass?: unknown;
}

interface CheckedRequest {
  target: GrantTarget;
  purpose: string;
  ticket: string | null;
  durationSeconds: number;
  breakGlass: boolean;
}

/**
 * A technician asks for access: named devices, a tag or the whole product, a purpose, a ticket,
 * a duration within the policy. A break-glass request is granted at once, by its requester, for
 * at most the policy's break-glass maximum, and stays listed until someone else reviews it.
 *
 * The same request again by the same person while the first is still open (awaiting a decision,
 * or break-glass and running) is a retry whose answer was lost: nothing is written and the open
 * grant is the answer (`created: false`). Once the first is decided or over, asking again is a
 * new request.
 */
export async function requestAccess(ctx: AccessContext, product: ProductRecord, input: AccessRequestInput, actor: Actor): Promise<{ grant: AccessGrant; created: boolean }> {
  const requester = tokenOwner(actor);
  const now = ctx.identity.clock.now();
  const policy = await ctx.store.findPolicy(product.id);
  const asked = checkRequest(input, policy);
  return ctx.store.unitOfWork(async (uow) => {
    const deviceIds = asked.target.kind === 'devices' ? requireLiveDevices(await uow.lockDevices(asked.target.serials.map((serial) => ({ productId: product.id, serial }))), asked.target.serials) : [];
    const open = (await uow.lockOpenRequests(product.id, requester, now)).find((g) => sameRequest(g, asked));
    if (open) return { grant: open, created: false };
    const grant: AccessGrant = {
      id: newId('grt', ctx.identity.random),
      productId: product.id,
      serial: await uow.nextSerial(),
      requester,
      requestedBy: actorName(actor),
      requestedAt: now,
      decideBy: asked.breakGlass ? null : new Date(now.getTime() + policy.requestTtlSeconds * 1000),
      ...asked,
      state: asked.breakGlass ? 'approved' : 'requested',
      decidedBy: asked.breakGlass ? actorName(actor) : null,
      decidedAt: asked.breakGlass ? now : null,
      decisionNote: asked.breakGlass ? 'break-glass: self-approved' : null,
      validFrom: asked.breakGlass ? now : null,
      validUntil: asked.breakGlass ? new Date(now.getTime() + asked.durationSeconds * 1000) : null,
      endedBy: null,
      endedAt: null,
      endReason: null,
      reviewedBy: null,
      reviewedAt: null,
      reviewNote: null,
    };
    await uow.insertGrant(grant, deviceIds);
    const details = grantEventDetails(product, grant);
    uow.recordEvents([
      { actor: actorName(actor), action: 'access.requested', subjectType: GRANT_SUBJECT, subjectId: grant.id, details },
      ...(grant.breakGlass
        ? [{ actor: actorName(actor), action: 'access.granted', subjectType: GRANT_SUBJECT, subjectId: grant.id, details: { ...details, approvedBy: requester, validFrom: now.toISOString(), validUntil: grant.validUntil!.toISOString(), breakGlass: true } }]
        : []),
    ]);
    return { grant, created: true };
  }, { at: now });
}

/** The open grant asks for exactly what this request asks: the same target, purpose, ticket, duration and kind. */
function sameRequest(g: AccessGrant, asked: CheckedRequest): boolean {
  return (
    g.purpose === asked.purpose &&
    g.ticket === asked.ticket &&
    g.durationSeconds === asked.durationSeconds &&
    g.breakGlass === asked.breakGlass &&
    targetKey(g.target) === targetKey(asked.target)
  );
}

const targetKey = (t: GrantTarget): string => (t.kind === 'devices' ? `devices:${t.serials.join(',')}` : t.kind === 'tag' ? `tag:${t.tag}` : 'product');

/** Only a person's token asks for access: the owner is who may never approve it. */
export function tokenOwner(actor: Actor): string {
  if (actor.kind !== 'token') throw new TrustplaneError('FORBIDDEN', 'access is asked for and decided by people, with their tokens');
  return actor.owner;
}

export function checkRequest(input: AccessRequestInput, policy: AccessPolicy): CheckedRequest {
  const breakGlass = input.breakGlass === undefined ? false : input.breakGlass;
  if (typeof breakGlass !== 'boolean') throw new TrustplaneError('VALIDATION_FAILED', 'breakGlass must be true or false', { details: { field: 'breakGlass' } });
  const durationSeconds = requireInteger('durationSeconds', input.durationSeconds, 60, MAX_GRANT_SECONDS);
  const max = breakGlass ? policy.breakGlassMaxSeconds : policy.maxDurationSeconds;
  if (durationSeconds > max) {
    throw new TrustplaneError('ACCESS_DURATION_OVER_POLICY', `the product's policy allows ${breakGlass ? 'break-glass ' : ''}access for at most ${max} s`, { details: { field: 'durationSeconds', maxSeconds: max } });
  }
  return {
    target: targetOf(input),
    purpose: requireText('purpose', input.purpose, 500),
    ticket: input.ticket === undefined || input.ticket === null ? null : requireText('ticket', input.ticket, 200),
    durationSeconds,
    breakGlass,
  };
}

function targetOf(input: AccessRequestInput): GrantTarget {
  const named = [input.devices !== undefined, input.tag !== undefined, input.product !== undefined].filter(Boolean).length;
  if (named !== 1) throw new TrustplaneError('VALIDATION_FAILED', 'a request names devices, a tag or the whole product (product: true): exactly one', { details: { field: 'devices' } });
  if (input.tag !== undefined) return { kind: 'tag', tag: requireMatch('tag', input.tag, TAG_PATTERN, '1-64 characters of A-Z a-z 0-9 . _ : = -') };
  if (input.product !== undefined) {
    if (input.product !== true) throw new TrustplaneError('VALIDATION_FAILED', 'product must be true (the whole product)', { details: { field: 'product' } });
    return { kind: 'product' };
  }
  if (!Array.isArray(input.devices) || input.devices.length === 0 || input.devices.length > MAX_GRANT_DEVICES) {
    throw new TrustplaneError('VALIDATION_FAILED', `devices must list 1 to ${MAX_GRANT_DEVICES} serials`, { details: { field: 'devices' } });
  }
  const serials = input.devices.map((s) => requireMatch('devices', s, DEVICE_SERIAL_PATTERN, 'serials of 1-64 characters of A-Z a-z 0-9 . _ -'));
  return { kind: 'devices', serials: [...new Set(serials)].sort() };
}

/** Every named device exists and has not left the fleet; their ids. */
function requireLiveDevices(found: { id: string; serial: string; state: string }[], serials: readonly string[]): string[] {
  for (const serial of serials) {
    const device = found.find((d) => d.serial === serial);
    if (!device) throw new TrustplaneError('DEVICE_NOT_FOUND', `no device ${serial}`, { details: { serial } });
    if (device.state === 'revoked' || device.state === 'decommissioned') {
      throw new TrustplaneError('ACCESS_DEVICE_ENDED', `device ${serial} is ${device.state}`, { details: { serial, state: device.state } });
    }
  }
  return found.map((d) => d.id);
}
