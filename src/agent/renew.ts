import { createPublicKey } from 'node:crypto';
import type { KeyAlgorithm } from '../crypto/key-algorithm.ts';
import { stateError } from './agent-error.ts';
import {
  buildCertificationRequest,
  generateDeviceKey,
  keyPairFromPem,
  privateKeyPem,
  type DeviceKeyPair,
} from './csr-request.ts';
import type { TlsClientIdentity } from './http-transport.ts';
import type { IdentityCheck } from './identity-check.ts';
import { completeIdentity, type StepContext } from './renewal-steps.ts';
import type { AgentConfig } from './state-store.ts';

export interface RenewalOutcome {
  readonly index: number;
  readonly identity: IdentityCheck;
  readonly keyRotated: boolean;
  /** The renewal finished one a killed agent had left unfinished. */
  readonly resumed: boolean;
}

/**
 * Renews `current` (docs/design/enrollment.md "Renewal runs these steps"), after finishing or
 * discarding what a killed run left behind. A new key by default; `rotateKey: false` keeps it.
 */
export async function renewIdentity(
  ctx: StepContext,
  config: AgentConfig,
  options: { rotateKey?: boolean } = {},
): Promise<RenewalOutcome> {
  const { store } = ctx;
  await store.removeTemporaryFiles();
  const layout = await store.layout();
  const current = layout.current;
  if (current === undefined) throw stateError(`${store.dir} has no current identity: enroll first`);
  for (const n of layout.stale) {
    // Killed between step 5 and 6: the switch happened, the old identity is garbage.
    await store.removeIdentity(n);
    ctx.log(`removed ids/${n}, left over from a finished renewal`);
  }
  if (layout.unfinished.length > 1)
    throw stateError(`several unfinished identities: ids/${layout.unfinished.join(', ids/')}`);
  const presented = await tlsIdentity(ctx, current);
  const next = layout.unfinished[0];
  if (next !== undefined) {
    const resumed = await resume(ctx, config, presented, current, next);
    if (resumed) return resumed;
  }

  const index = current + 1;
  const rotateKey = options.rotateKey ?? true;
  // RFC 7030 §4.5: with a new key, ask which kind the product wants now (it may have migrated).
  const kept = rotateKey ? undefined : keyPairFromPem(presented.keyPem);
  const algorithm = kept?.algorithm ?? (await ctx.est.keyAlgorithm());
  const key = kept ?? (await generateDeviceKey(algorithm));
  ctx.onStep('key-generated');
  await store.writeKey(index, privateKeyPem(key));
  ctx.onStep('key-written');
  const identity = await reenroll(ctx, config, presented, index, algorithm, key, current);
  ctx.log(`renewed: ids/${index}${rotateKey ? ' with a new key' : ' with the same key'}`);
  return { index, identity, keyRotated: rotateKey, resumed: false };
}

/**
 * A renewal killed before step 5 left `ids/<next>`. Without a key nothing was sent: discard it.
 * With a key, the server may already have answered and superseded `current`; requesting again
 * with the same key, authenticated by `current`, is what the server's interrupted-rotation
 * exception accepts (docs/design/enrollment.md "simplereenroll").
 */
async function resume(
  ctx: StepContext,
  config: AgentConfig,
  presented: TlsClientIdentity,
  current: number,
  next: number,
): Promise<RenewalOutcome | undefined> {
  const found = await ctx.store.readIdentity(next);
  if (found.keyPem === undefined) {
    await ctx.store.removeIdentity(next);
    ctx.log(`removed ids/${next}: a renewal killed before its key was written`);
    return undefined;
  }
  const keyRotated = !createPublicKey(found.keyPem).equals(createPublicKey(presented.keyPem));
  if (found.certPem !== undefined) {
    ctx.log(`resuming ids/${next}: key and certificate written, finishing the switch`);
    const identity = await completeIdentity(ctx, next, undefined, current);
    return { index: next, identity, keyRotated, resumed: true };
  }
  ctx.log(`resuming ids/${next}: requesting a certificate for the key written before the agent stopped`);
  const key = keyPairFromPem(found.keyPem);
  const identity = await reenroll(ctx, config, presented, next, key.algorithm, key, current);
  return { index: next, identity, keyRotated, resumed: true };
}

async function reenroll(
  ctx: StepContext,
  config: AgentConfig,
  presented: TlsClientIdentity,
  index: number,
  algorithm: KeyAlgorithm,
  key: DeviceKeyPair,
  previous: number,
): Promise<IdentityCheck> {
  const csr = buildCertificationRequest(algorithm, key, config.serial);
  const certPem = await ctx.est.simpleReenroll(csr.der, presented, { onRequestSent: () => ctx.onStep('request-sent') });
  ctx.onStep('response-received');
  return completeIdentity(ctx, index, certPem, previous);
}

async function tlsIdentity(ctx: StepContext, index: number): Promise<TlsClientIdentity> {
  const { keyPem, certPem } = await ctx.store.readIdentity(index);
  if (keyPem === undefined || certPem === undefined)
    throw stateError(`ids/${index} (current) lacks its key or certificate`);
  return { keyPem, certPem };
}
