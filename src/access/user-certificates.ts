import { TrustplaneError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { actorName, type Actor, type ProductRecord } from '../pki/records.types.ts';
import { formatSshCertificate, signSshCertificate, type SshCertificateFields } from '../ssh/certificate.ts';
import { parseSshPublicKey, sshFingerprint, type SshPublicKey } from '../ssh/public-key.ts';
import { GRANT_SUBJECT, type AccessContext } from './access-context.ts';
import { grantStatus, type AccessGrant, type AccessPolicy, type SshCertificateRecord } from './access.types.ts';
import { lockedGrant } from './grant-decisions.ts';
import { tokenOwner } from './grant-requests.ts';
import { grantPrincipals } from './grant-views.ts';
import { ensureSshCas, type SshCa } from './ssh-cas.ts';

/** Attacker-controlled: an authorized_keys line; an RSA-16384 key is under 3 kB. */
export const MAX_PUBLIC_KEY_LINE = 16 * 1024;

export interface IssuedUserCertificate {
  certificate: SshCertificateRecord;
  /** false: the same key asked again (an answer lost), the certificate issued then */
  created: boolean;
}

/**
 * A grant's requester submits their SSH public key and receives a user certificate
 * (PROTOCOL.certkeys): key id `<owner>:<grant-id>`, serial = the grant's, the grant's principals,
 * a window within the grant's, the policy's critical options and extensions. Steps, in order:
 * parse the key → the CA → the grant, locked → only its requester → approved and current →
 * within the policy's count (the same key again is answered with its certificate) → window →
 * sign → store with its event.
 */
export async function issueUserCertificate(ctx: AccessContext, product: ProductRecord, grantId: string, input: { publicKey: unknown }, actor: Actor): Promise<IssuedUserCertificate> {
  const owner = tokenOwner(actor);
  const key = parsedKey(input.publicKey);
  const fingerprint = sshFingerprint(key);
  // read before the unit of work: on the embedded store a read beside it would wait for its connection
  const policy = await ctx.store.findPolicy(product.id);
  const { user: ca } = await ensureSshCas(ctx, product, actor);
  const now = ctx.identity.clock.now();
  return ctx.store.unitOfWork(async (uow) => {
    const grant = await lockedGrant(uow, product, grantId);
    if (grant.requester !== owner) throw new TrustplaneError('FORBIDDEN', "only the grant's requester receives its certificate");
    const window = currentWindow(grant, now, ctx.identity.config.backdateSeconds);
    const issued = await uow.listCertificates(grant.id);
    const same = issued.find((c) => c.keyFingerprint === fingerprint);
    if (same) return { certificate: same, created: false };
    if (issued.length >= policy.maxCertificatesPerGrant) {
      throw new TrustplaneError('ACCESS_CERTIFICATE_LIMIT', `the policy allows ${policy.maxCertificatesPerGrant} certificate(s) per grant`, { details: { issued: issued.length } });
    }
    const fields = userCertificateFields(product, grant, key, policy, window, owner);
    const certificate = await signedCertificate(ctx, ca, fields, { productId: product.id, grantId: grant.id, owner, purpose: `time-bound access: grant ${grant.id}`, fingerprint, now });
    await uow.insertCertificate(certificate);
    uow.recordEvents([
      {
        actor: actorName(actor),
        action: 'access.certificate_issued',
        subjectType: GRANT_SUBJECT,
        subjectId: grant.id,
        details: {
          product: product.sku,
          serial: grant.serial.toString(),
          keyId: fields.keyId,
          keyFingerprint: fingerprint,
          principals: fields.principals,
          validAfter: certificate.validAfter.toISOString(),
          validBefore: certificate.validBefore.toISOString(),
          ...(fields.criticalOptions ? { criticalOptions: fields.criticalOptions } : {}),
          extensions: fields.extensions,
        },
      },
    ]);
    return { certificate, created: true };
  }, { at: now });
}

function parsedKey(value: unknown): SshPublicKey {
  if (typeof value !== 'string' || value.length > MAX_PUBLIC_KEY_LINE) throw new TrustplaneError('SSH_PUBLIC_KEY_INVALID', `publicKey must be one authorized_keys line of at most ${MAX_PUBLIC_KEY_LINE} bytes`);
  return parseSshPublicKey(value.trim());
}

/** Approved and current, or refused with what it is (denied, expired, ended, awaiting approval). */
function currentWindow(grant: AccessGrant, now: Date, backdateSeconds: number): { validAfter: Date; validBefore: Date } {
  const status = grantStatus(grant, now);
  if (status !== 'approved' || grant.validFrom === null || grant.validUntil === null) {
    throw new TrustplaneError('ACCESS_GRANT_NOT_ACTIVE', `the grant is ${status === 'requested' ? 'awaiting approval' : status}`, { details: { status } });
  }
  // back-dated against clock skew on devices, never before the grant's own start
  const validAfter = new Date(Math.max(grant.validFrom.getTime(), now.getTime() - backdateSeconds * 1000));
  return { validAfter, validBefore: grant.validUntil };
}

export function userCertificateFields(product: ProductRecord, grant: AccessGrant, key: SshPublicKey, policy: AccessPolicy, window: { validAfter: Date; validBefore: Date }, owner: string): SshCertificateFields {
  const criticalOptions: Record<string, string> = {
    ...(policy.forceCommand === null ? {} : { 'force-command': policy.forceCommand }),
    ...(policy.sourceAddress === null ? {} : { 'source-address': policy.sourceAddress }),
  };
  return {
    kind: 'user',
    publicKey: key,
    serial: grant.serial,
    keyId: `${owner}:${grant.id}`,
    principals: grantPrincipals(product.sku, grant.target),
    ...window,
    ...(Object.keys(criticalOptions).length > 0 ? { criticalOptions } : {}),
    extensions: policy.extensions,
  };
}

/** What the stored row says of a certificate besides its fields: whose, what for, of which key (DESIGN rule 3). */
export interface CertificateMeta {
  productId: string;
  grantId?: string;
  deviceId?: string;
  owner: string;
  purpose: string;
  fingerprint: string;
  now: Date;
}

/** Signs (the CA key stays in its key store) and makes the row stored for it: the certificate line is public; the window as signed, whole seconds. */
export async function signedCertificate(ctx: AccessContext, ca: SshCa, fields: SshCertificateFields, who: CertificateMeta): Promise<SshCertificateRecord> {
  const blob = await signSshCertificate(fields, ca.signer);
  const seconds = (d: Date, up: boolean) => new Date((up ? Math.ceil(d.getTime() / 1000) : Math.floor(d.getTime() / 1000)) * 1000);
  return {
    id: newId('sshc', ctx.identity.random),
    productId: who.productId,
    caId: ca.record.id,
    kind: fields.kind,
    grantId: who.grantId ?? null,
    deviceId: who.deviceId ?? null,
    serial: fields.serial,
    keyId: fields.keyId,
    keyFingerprint: who.fingerprint,
    principals: [...fields.principals],
    // the window rounded inwards, as signSshCertificate writes it
    validAfter: seconds(fields.validAfter, true),
    validBefore: seconds(fields.validBefore, false),
    certificate: formatSshCertificate(blob, fields.keyId),
    owner: who.owner,
    purpose: who.purpose,
    issuedAt: who.now,
  };
}
