import type { IdentityContext } from '../pki/identity-context.ts';
import type { AccessPathPolicy } from './access-paths.types.ts';
import type { AccessStore } from './access-store.types.ts';

/** What time-bound access needs, handed in as ports: the identity capability (keys, clock, devices) and its own store. */
export interface AccessContext {
  identity: IdentityContext;
  store: AccessStore;
  /** the register's policy: the SSH CAs are registered there as privileged access paths */
  accessPathPolicy: AccessPathPolicy;
}

/** The subject type of a grant's ledger events. */
export const GRANT_SUBJECT = 'access_grant';
