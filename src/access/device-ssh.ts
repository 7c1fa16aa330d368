import { TrustplaneError } from '../core/errors.ts';
import { actorName, type Actor, type DeviceRecord, type ProductRecord } from '../pki/records.types.ts';
import { GRANT_SUBJECT, type AccessContext } from './access-context.ts';
import type { AccessLogin, LoginReport } from './access.types.ts';

/** How often the agent fetches the KRL again: a grant ended early is refused within this. */
export const KRL_REFRESH_SECONDS = 300;
export const MAX_LOGINS_PER_REPORT = 100;

/**
 * The principals the device's sshd accepts (AuthorizedPrincipalsFile): its own, each of its tags,
 * and the product's — as grantPrincipals writes them into certificates.
 */
export async function devicePrincipals(ctx: AccessContext, product: ProductRecord, device: DeviceRecord): Promise<string[]> {
  const tags = await ctx.store.deviceTags(device.id);
  return [`device:${product.sku}:${device.serial}`, ...tags.map((t) => `tag:${t}`), `product:${product.sku}`];
}

/**
 * Logins the device's sshd accepted, as the agent saw them (best effort: its auth log). Each on
 * its grant, once (the same serial, time and source again is the same login), an `access.used`
 * event; a serial that is no grant of this product is counted apart, never recorded.
 */
export async function recordLogins(ctx: AccessContext, product: ProductRecord, device: DeviceRecord, reports: readonly LoginReport[], actor: Actor): Promise<{ recorded: number; unknown: number }> {
  if (reports.length > MAX_LOGINS_PER_REPORT) throw new TrustplaneError('VALIDATION_FAILED', `a report holds at most ${MAX_LOGINS_PER_REPORT} logins`);
  const grants = await ctx.store.findGrantsBySerial(product.id, [...new Set(reports.map((r) => r.serial))]);
  const bySerial = new Map(grants.map((g) => [g.serial, g]));
  const now = ctx.identity.clock.now();
  const logins: AccessLogin[] = [];
  let unknown = 0;
  for (const r of reports) {
    const grant = bySerial.get(r.serial);
    if (!grant) unknown++;
    else logins.push({ ...r, grantId: grant.id, deviceId: device.id, recordedAt: now });
  }
  if (logins.length === 0) return { recorded: 0, unknown };
  const recorded = await ctx.store.unitOfWork(async (uow) => {
    const inserted = await uow.insertLogins(logins);
    uow.recordEvents(
      inserted.map((l) => ({
        actor: actorName(actor),
        action: 'access.used',
        subjectType: GRANT_SUBJECT,
        subjectId: l.grantId,
        details: { product: product.sku, device: device.serial, serial: l.serial.toString(), keyId: l.keyId, at: l.at.toISOString(), source: l.source },
      })),
    );
    return inserted.length;
  }, { at: now });
  return { recorded, unknown };
}
