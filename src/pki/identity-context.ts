import type { Clock } from '../core/clock.ts';
import type { Random } from '../core/random.ts';
import type { KeyAlgorithm } from '../crypto/key-algorithm.ts';
import type { KeyStore } from '../crypto/signer.ts';
import type { IdentityStore } from './identity-store.types.ts';

export interface IdentityConfig {
  /** Base of the URLs written into certificates (CDP, AIA); may be learnt after listening. */
  publicUrl(): string;
  organization: string;
  rootKeyAlgorithm: KeyAlgorithm;
  rootValidityDays: number;
  crlValiditySeconds: number;
  ocspValiditySeconds: number;
  ocspResponderValidityDays: number;
  /** A responder certificate is replaced this long before it expires. */
  ocspResponderRenewBeforeDays: number;
  /** Certificates are back-dated this much against clock skew on devices. */
  backdateSeconds: number;
}

/** What the identity capability's use cases need, handed in as ports. */
export interface IdentityContext {
  store: IdentityStore;
  keys: KeyStore;
  clock: Clock;
  random: Random;
  config: IdentityConfig;
}

export const defaultIdentityConfig: Omit<IdentityConfig, 'publicUrl'> = {
  organization: 'trustplane',
  rootKeyAlgorithm: 'ecdsa-p384',
  rootValidityDays: 20 * 365,
  crlValiditySeconds: 24 * 3600,
  ocspValiditySeconds: 3600,
  ocspResponderValidityDays: 90,
  ocspResponderRenewBeforeDays: 30,
  backdateSeconds: 60,
};
