import { stateError } from '../agent-error.ts';
import type { UpdateStepHook } from './update-steps.ts';
import type { UpdateStore } from './update-store.ts';
import type { UpdateApi, UpdateTrust } from './update.types.ts';

/**
 * Update step 1: the stored trust, or — the first time only — the device API's answer, stored
 * crash-safely (trust on first use over the mutually authenticated channel). Never replaced from
 * the API afterwards: TUF root rotation moves the root forward through tuf-js itself.
 */
export async function establishTrust(ctx: {
  readonly store: UpdateStore;
  readonly api: UpdateApi;
  readonly product: string;
  readonly onStep: UpdateStepHook;
  readonly log: (line: string) => void;
}): Promise<UpdateTrust> {
  const stored = await ctx.store.readTrust();
  if (stored !== undefined) {
    if (stored.product !== ctx.product)
      throw stateError(`the stored update trust is for ${stored.product}, this device is ${ctx.product}`);
    return stored;
  }
  const trust = await ctx.api.trust();
  await ctx.store.storeTrustOnce(trust);
  ctx.onStep('trust-stored');
  ctx.log(`update trust stored: repository ${trust.repository}, TUF root version ${rootVersion(trust)}`);
  return trust;
}

function rootVersion(trust: UpdateTrust): string {
  const signed = trust.root.signed as { version?: unknown } | undefined;
  return typeof signed?.version === 'number' ? String(signed.version) : '?';
}
