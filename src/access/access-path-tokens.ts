import { newId } from '../core/ids.ts';
import type { Random } from '../core/random.ts';
import type { ApiTokenRecord } from './api-tokens.ts';
import { defaultReviewDue } from './access-paths.ts';
import type { AccessPathPolicy, NewAccessPath } from './access-paths.types.ts';

/**
 * trustplane's own privileged paths: every admin and operator API token is registered with its
 * owner and expiry, reviewed by its expiry (or the policy's interval, whichever is sooner), and
 * retired when revoked. Factory and auditor tokens act on no device beyond enrolling one serial
 * of a batch, or at all: not registered.
 */
export const registeredTokenRoles: readonly string[] = ['admin', 'operator'];

export function tokenAccessPath(t: ApiTokenRecord, registeredBy: string, now: Date, policy: AccessPathPolicy, random: Random): NewAccessPath | undefined {
  if (!registeredTokenRoles.includes(t.role)) return undefined;
  return {
    id: newId('acp', random),
    kind: 'trustplane-token',
    name: `${t.role} token ${t.id}`,
    productId: null,
    scope: null,
    description: t.products.length === 0 ? `acts for every product` : `acts for ${t.products.join(', ')}`,
    owner: t.owner,
    expiresAt: t.expiresAt,
    expiryCondition: null,
    reviewDue: defaultReviewDue(now, t.expiresAt, policy),
    source: 'system',
    systemRef: t.id,
    registeredBy,
    registeredAt: now,
  };
}
