import { TrustplaneError } from '../core/errors.ts';
import { actorName, type Actor, type ProductRecord } from '../pki/records.types.ts';
import { requireInteger, requireText } from '../pki/validation.ts';
import type { AccessContext } from './access-context.ts';
import { defaultAccessPolicy, sshCaKeyAlgorithms, sshExtensions, type AccessPolicy, type SshCaKeyAlgorithm, type SshExtension } from './access.types.ts';

/** No grant outlives a working day and a night; break-glass no more than a few hours. */
export const MAX_GRANT_SECONDS = 7 * 24 * 3600;
/** A request waits at least five minutes for a decision, and at most a week (MAX_GRANT_SECONDS). */
export const MIN_REQUEST_TTL_SECONDS = 300;
const MAX_HOST_CERTIFICATE_DAYS = 366;
const DNS_DOMAIN = /^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A policy change as asked (attacker-controlled JSON, shape checked by the route's schema). */
export interface PolicyChange {
  maxDurationSeconds?: unknown;
  requestTtlSeconds?: unknown;
  breakGlassMaxSeconds?: unknown;
  extensions?: unknown;
  forceCommand?: unknown;
  sourceAddress?: unknown;
  maxCertificatesPerGrant?: unknown;
  hostCertificateValidityDays?: unknown;
  hostDomain?: unknown;
  caKeyAlgorithm?: unknown;
}

/** The policy with a change applied, each field checked; the break-glass maximum stays the shortest. */
export function applyPolicyChange(current: AccessPolicy, change: PolicyChange, caKeysMade: boolean): Omit<AccessPolicy, 'updatedBy' | 'updatedAt'> {
  const next = {
    maxDurationSeconds: change.maxDurationSeconds === undefined ? current.maxDurationSeconds : requireInteger('maxDurationSeconds', change.maxDurationSeconds, 60, MAX_GRANT_SECONDS),
    requestTtlSeconds: change.requestTtlSeconds === undefined ? current.requestTtlSeconds : requireInteger('requestTtlSeconds', change.requestTtlSeconds, MIN_REQUEST_TTL_SECONDS, MAX_GRANT_SECONDS),
    breakGlassMaxSeconds: change.breakGlassMaxSeconds === undefined ? current.breakGlassMaxSeconds : requireInteger('breakGlassMaxSeconds', change.breakGlassMaxSeconds, 60, MAX_GRANT_SECONDS),
    extensions: change.extensions === undefined ? current.extensions : extensionsOf(change.extensions),
    forceCommand: change.forceCommand === undefined ? current.forceCommand : change.forceCommand === null ? null : requireText('forceCommand', change.forceCommand, 1024),
    sourceAddress: change.sourceAddress === undefined ? current.sourceAddress : change.sourceAddress === null ? null : sourceAddressOf(change.sourceAddress),
    maxCertificatesPerGrant: change.maxCertificatesPerGrant === undefined ? current.maxCertificatesPerGrant : requireInteger('maxCertificatesPerGrant', change.maxCertificatesPerGrant, 1, 100),
    hostCertificateValidityDays:
      change.hostCertificateValidityDays === undefined ? current.hostCertificateValidityDays : requireInteger('hostCertificateValidityDays', change.hostCertificateValidityDays, 1, MAX_HOST_CERTIFICATE_DAYS),
    hostDomain: change.hostDomain === undefined ? current.hostDomain : change.hostDomain === null ? null : hostDomainOf(change.hostDomain),
    caKeyAlgorithm: change.caKeyAlgorithm === undefined ? current.caKeyAlgorithm : caKeyAlgorithmOf(change.caKeyAlgorithm),
  };
  if (next.breakGlassMaxSeconds > next.maxDurationSeconds) {
    throw new TrustplaneError('VALIDATION_FAILED', 'breakGlassMaxSeconds cannot exceed maxDurationSeconds: break-glass is self-approved, so it is the shortest', { details: { field: 'breakGlassMaxSeconds' } });
  }
  if (caKeysMade && next.caKeyAlgorithm !== current.caKeyAlgorithm) {
    throw new TrustplaneError('VALIDATION_FAILED', "the product's SSH CA keys exist already: their algorithm is fixed", { details: { field: 'caKeyAlgorithm' } });
  }
  return next;
}

/** Changes the product's access policy (the grants made before keep what they were given). */
export async function changeAccessPolicy(ctx: AccessContext, product: ProductRecord, change: PolicyChange, actor: Actor): Promise<AccessPolicy> {
  const now = ctx.identity.clock.now();
  const current = await ctx.store.findPolicy(product.id);
  const cas = await ctx.store.findSshCas(product.id);
  const next: AccessPolicy = { ...applyPolicyChange(current, change, cas.length > 0), updatedBy: actorName(actor), updatedAt: now };
  await ctx.store.unitOfWork(async (uow) => {
    await uow.savePolicy(product.id, next);
    const { updatedBy: _by, updatedAt: _at, ...details } = next;
    uow.recordEvents([{ actor: actorName(actor), action: 'access.policy_changed', subjectType: 'product', subjectId: product.id, details: { product: product.sku, ...details } }]);
  }, { at: now });
  return next;
}

export { defaultAccessPolicy };

function extensionsOf(value: unknown): SshExtension[] {
  if (!Array.isArray(value) || value.some((e) => typeof e !== 'string' || !(sshExtensions as readonly string[]).includes(e))) {
    throw new TrustplaneError('VALIDATION_FAILED', `extensions must be a list of ${sshExtensions.join(', ')}`, { details: { field: 'extensions' } });
  }
  return [...new Set(value as SshExtension[])].sort();
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** 4 or 6 for an IP address in its usual text form, 0 otherwise (WHATWG URL parses IPv6 strictly). */
function ipFamily(address: string): 0 | 4 | 6 {
  if (IPV4.test(address)) return 4;
  if (!/^[0-9A-Fa-f:.]{2,45}$/.test(address) || !address.includes(':')) return 0;
  try {
    new URL(`http://[${address}]/`);
    return 6;
  } catch {
    return 0;
  }
}

/** sshd's `from=`/source-address syntax: comma-separated addresses or CIDR blocks (PROTOCOL.certkeys). */
function sourceAddressOf(value: unknown): string {
  const fail = () => new TrustplaneError('VALIDATION_FAILED', 'sourceAddress must be a comma-separated list of IP addresses or CIDR blocks', { details: { field: 'sourceAddress' } });
  if (typeof value !== 'string' || value.length > 1024) throw fail();
  const parts = value.split(',');
  for (const part of parts) {
    const [address, bits, extra] = part.split('/');
    const family = address === undefined ? 0 : ipFamily(address);
    if (family === 0 || extra !== undefined) throw fail();
    if (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))) throw fail();
  }
  return parts.join(',');
}

function hostDomainOf(value: unknown): string {
  if (typeof value !== 'string' || !DNS_DOMAIN.test(value)) throw new TrustplaneError('VALIDATION_FAILED', 'hostDomain must be a lower-case DNS domain', { details: { field: 'hostDomain' } });
  return value;
}

function caKeyAlgorithmOf(value: unknown): SshCaKeyAlgorithm {
  if (typeof value !== 'string' || !(sshCaKeyAlgorithms as readonly string[]).includes(value)) {
    throw new TrustplaneError('VALIDATION_FAILED', `caKeyAlgorithm must be ${sshCaKeyAlgorithms.join(' or ')}`, { details: { field: 'caKeyAlgorithm' } });
  }
  return value as SshCaKeyAlgorithm;
}
