import type { IdentityContext } from '../pki/identity-context.ts';
import type { CraProfileStore } from './cra-profile.types.ts';

/** The installation's own contact point, for `/.well-known/security.txt` and products without one. */
export interface InstallationSecurityContact {
  /** `mailto:` or `https://` (env TRUSTPLANE_SECURITY_CONTACT) */
  contact: string | undefined;
  /** the coordinated vulnerability disclosure policy, `https://` (env TRUSTPLANE_SECURITY_POLICY) */
  cvdPolicyUrl: string | undefined;
  /** env TRUSTPLANE_SECURITY_LANGUAGES, e.g. `en, de` */
  preferredLanguages: string[];
}

export const noInstallationContact: InstallationSecurityContact = Object.freeze({ contact: undefined, cvdPolicyUrl: undefined, preferredLanguages: [] });

/** What the CRA profile use cases need, handed in as ports. */
export interface CraContext {
  identity: IdentityContext;
  store: CraProfileStore;
  installation: InstallationSecurityContact;
}
