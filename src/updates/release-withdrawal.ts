import { TrustplaneError } from '../core/errors.ts';
import { actorName, type Actor, type EventInput, type ProductRecord } from '../pki/records.types.ts';
import { requireText } from '../pki/validation.ts';
import type { ReleaseRecord } from './release.types.ts';
import type { UpdatesContext } from './updates-context.ts';
import type { UpdatesUnitOfWork } from './updates-store.types.ts';

export interface WithdrawReleaseInput {
  reason?: unknown;
}

const MAX_REASON_LENGTH = 500;

/**
 * Withdraws a release, published or still awaiting approval, in one unit of work with its
 * `release.withdrawn` event (DESIGN rule 1):
 *
 * 1. the release is marked withdrawn, with who, when and why; a security release keeps its
 *    retention date (CRA Art 13(9): withdrawn is not deleted);
 * 2. every live rollout naming it is aborted, each with its `rollout.aborted` event: no device is
 *    assigned it again;
 * 3. every targets draft that carries it is stale: approvals gathered on a draft with its target
 *    no longer count, and the next draft (release-approval.ts) leaves it out. TUF removes a target
 *    only in a targets version the release managers sign, so it leaves the repository at the
 *    product's next publication; until then devices still verify it, but none is assigned it.
 *
 * Withdrawing a withdrawn release is a retry whose answer was lost: the release as it is, nothing
 * written (`withdrawn: false`). It is final: a withdrawn release is never approved or rolled out.
 */
export async function withdrawRelease(
  ctx: UpdatesContext,
  product: ProductRecord,
  releaseId: string,
  input: WithdrawReleaseInput,
  actor: Actor,
): Promise<{ release: ReleaseRecord; withdrawn: boolean; abortedRollouts: string[] }> {
  const now = ctx.identity.clock.now();
  const reason = requireText('reason', input.reason, MAX_REASON_LENGTH);
  const by = actorName(actor);
  return ctx.store.unitOfWork(async (uow) => {
    // The repository lock first, as approval takes it: a publication in flight either commits
    // before (and this draft-staling sees its drafts) or waits and finds the release withdrawn.
    await uow.lockTufKeys(product.id);
    const release = await uow.lockRelease(releaseId);
    if (!release || release.productId !== product.id) throw new TrustplaneError('RELEASE_NOT_FOUND');
    if (release.state === 'withdrawn') return { release, withdrawn: false, abortedRollouts: [] };
    const withdrawal = { at: now, by, reason };
    await uow.withdrawRelease(release.id, withdrawal);
    const aborted = await abortRolloutsOf(uow, product, release, by);
    // A published target is in every current draft (they extend the published targets); an
    // unpublished one only in its own.
    const staleDrafts = await uow.markDraftsStale(release.state === 'published' ? { productId: product.id } : { releaseId: release.id });
    uow.recordEvents([
      {
        actor: by,
        action: 'release.withdrawn',
        subjectType: 'release',
        subjectId: release.id,
        details: {
          product: product.sku,
          version: release.version,
          kind: release.kind,
          securityVersion: release.securityVersion,
          reason,
          previousState: release.state,
          targetName: release.targetName,
          retainUntil: release.retainUntil?.toISOString() ?? null,
          abortedRollouts: aborted.map((e) => e.subjectId),
          staleDrafts,
        },
      },
      ...aborted,
    ]);
    return { release: { ...release, state: 'withdrawn', withdrawal }, withdrawn: true, abortedRollouts: aborted.map((e) => e.subjectId) };
  }, { at: now });
}

/** Aborts the release's live rollouts (active or paused): their events, for the same unit of work. */
async function abortRolloutsOf(uow: UpdatesUnitOfWork, product: ProductRecord, release: ReleaseRecord, by: string): Promise<EventInput[]> {
  const events: EventInput[] = [];
  for (const rollout of await uow.lockLiveRolloutsOf(release.id)) {
    await uow.updateRollout(rollout.id, { ...rollout, state: 'aborted' });
    events.push({
      actor: by,
      action: 'rollout.aborted',
      subjectType: 'rollout',
      subjectId: rollout.id,
      details: { product: product.sku, stage: rollout.stage, percentage: rollout.stages[rollout.stage], reason: `release ${release.version} withdrawn`, release: release.id },
    });
  }
  return events;
}
