import { stateError } from './agent-error.ts';
import type { KeyAlgorithm } from '../crypto/key-algorithm.ts';
import {
  buildCertificationRequest,
  generateDeviceKey,
  keyPairFromPem,
  privateKeyPem,
  type DeviceKeyPair,
} from './csr-request.ts';
import type { EnrollmentCredential } from './est-client.ts';
import type { IdentityCheck } from './identity-check.ts';
import { completeIdentity, type StepContext } from './renewal-steps.ts';
import type { AgentConfig } from './state-store.ts';

/** The first identity is ids/1. */
export const FIRST_IDENTITY = 1;

/**
 * A device's first enrollment (RFC 7030 §4.2.1): learn the key algorithm from csrattrs (§4.5),
 * make the key here (it never leaves the device), request with a one-time token or a bootstrap
 * certificate, store the certificate and the chain from cacerts (§4.1), switch `current`.
 */
export async function enrollDevice(
  ctx: StepContext,
  config: AgentConfig,
  credential: EnrollmentCredential,
  station?: string,
): Promise<IdentityCheck> {
  const { store } = ctx;
  const layout = await store.layout();
  if (layout.current !== undefined) throw stateError(`${store.dir} is already enrolled: use renew`);
  await store.initialise(config);
  await store.removeTemporaryFiles();
  for (const n of layout.unfinished) if (n !== FIRST_IDENTITY) await store.removeIdentity(n);

  // An enrollment killed before its switch left ids/1. Its certificate on disk: finish. Its key
  // alone: request again with that key, the one the server may already have certified.
  const found = await store.readIdentity(FIRST_IDENTITY);
  if (found.keyPem !== undefined && found.certPem !== undefined) {
    ctx.log('resuming ids/1: key and certificate written, finishing the switch');
    return completeIdentity(ctx, FIRST_IDENTITY, undefined, undefined);
  }
  let key: DeviceKeyPair & { algorithm: KeyAlgorithm };
  if (found.keyPem !== undefined) {
    ctx.log('resuming ids/1: requesting a certificate for the key written before the agent stopped');
    key = keyPairFromPem(found.keyPem);
  } else {
    const algorithm = await ctx.est.keyAlgorithm();
    key = { ...(await generateDeviceKey(algorithm)), algorithm };
    ctx.onStep('key-generated');
    await store.writeKey(FIRST_IDENTITY, privateKeyPem(key));
    ctx.onStep('key-written');
  }
  const csr = buildCertificationRequest(key.algorithm, key, config.serial);
  const certPem = await ctx.est.simpleEnroll(csr.der, credential, {
    station,
    onRequestSent: () => ctx.onStep('request-sent'),
  });
  ctx.onStep('response-received');
  const identity = await completeIdentity(ctx, FIRST_IDENTITY, certPem, undefined);
  ctx.log(`enrolled ${config.product}/${config.serial} with a ${key.algorithm} key`);
  return identity;
}
