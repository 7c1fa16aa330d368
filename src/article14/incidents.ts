import { newId } from '../core/ids.ts';
import { actorName, type Actor, type ProductRecord } from '../pki/records.types.ts';
import { checkedNote } from '../vulns/register-status.ts';
import type { Article14Context } from './article14-context.ts';
import type { IncidentRecord } from './article14.types.ts';
import { checkedPastInstant } from './instants.ts';

export interface IncidentInput {
  description?: unknown;
  awareAt?: unknown;
}

export const MAX_INCIDENT_DESCRIPTION = 2000;

/**
 * Records a severe incident having an impact on the security of the product (Art 14(3); what makes
 * one severe: Art 14(5)) and when the manufacturer became aware of it (stated, or now): its case
 * is made with it and its clocks start (Art 14(4)). One `incident.recorded` event. The same
 * description with the same stated awareness time is a retry: nothing written, the incident as
 * recorded (without a stated time a retry cannot be told from a second incident: it is recorded).
 */
export async function recordIncident(ctx: Article14Context, product: ProductRecord, input: IncidentInput, actor: Actor): Promise<{ incident: IncidentRecord; caseId: string; created: boolean }> {
  const now = ctx.clock.now();
  const description = checkedNote(input.description, 'description', MAX_INCIDENT_DESCRIPTION);
  const stated = input.awareAt === undefined ? undefined : checkedPastInstant(input.awareAt, 'awareAt', now);
  const by = actorName(actor);
  return ctx.store.unitOfWork(async (uow) => {
    const awareAt = stated ?? now;
    const earlier = stated === undefined ? undefined : await uow.findIncident(product.id, awareAt, description);
    if (earlier) {
      const { caseId, ...incident } = earlier;
      return { incident, caseId, created: false };
    }
    const incident: IncidentRecord = { id: newId('inc', ctx.random), productId: product.id, awareAt, description, recordedBy: by, recordedAt: now };
    const caseId = newId('rpc', ctx.random);
    await uow.insertIncident(incident, caseId);
    uow.recordEvents([{ actor: by, action: 'incident.recorded', subjectType: 'incident', subjectId: incident.id, details: { product: product.sku, case: caseId, awareAt: awareAt.toISOString(), awareAtStated: stated !== undefined, description } }]);
    return { incident, caseId, created: true };
  }, { at: now });
}
