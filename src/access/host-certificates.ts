import { TrustplaneError } from '../core/errors.ts';
import { actorName, type Actor, type DeviceRecord, type ProductRecord } from '../pki/records.types.ts';
import type { SshCertificateFields } from '../ssh/certificate.ts';
import { parseSshPublicKey, sshFingerprint, type SshPublicKey } from '../ssh/public-key.ts';
import type { AccessContext } from './access-context.ts';
import type { AccessPolicy, SshCertificateRecord } from './access.types.ts';
import { ensureSshCas } from './ssh-cas.ts';
import { MAX_PUBLIC_KEY_LINE, signedCertificate } from './user-certificates.ts';

/**
 * A device's names, as its host certificate states them: the serial, `<serial>.<sku>`,
 * `<serial>.<hostDomain>`; each also in lower case, since ssh lower-cases the host name it was
 * given before it matches it against a host certificate's principals.
 */
export function hostPrincipals(product: ProductRecord, device: DeviceRecord, policy: AccessPolicy): string[] {
  const names = [device.serial, `${device.serial}.${product.sku}`, ...(policy.hostDomain === null ? [] : [`${device.serial}.${policy.hostDomain}`])];
  return [...new Set(names.flatMap((n) => [n, n.toLowerCase()]))];
}

/**
 * A host certificate for the device's SSH host key, asked by the device itself over mutual TLS: a
 * credential whose owner is the device, purpose host identity, expiry the policy's (30 days by
 * default). Asked again for the same key while more than half its life remains (an answer lost, a
 * restart), the certificate issued then is the answer: no second certificate, no second event.
 */
export async function issueHostCertificate(ctx: AccessContext, product: ProductRecord, device: DeviceRecord, input: { publicKey: unknown }, actor: Actor): Promise<SshCertificateRecord> {
  const key = hostKey(input.publicKey);
  const fingerprint = sshFingerprint(key);
  const policy = await ctx.store.findPolicy(product.id);
  const { host: ca } = await ensureSshCas(ctx, product, actor);
  const now = ctx.identity.clock.now();
  const previous = await ctx.store.findHostCertificate(device.id, fingerprint);
  if (previous && previous.caId === ca.record.id && stillFresh(previous, now)) return previous;
  const validityMs = policy.hostCertificateValidityDays * 86_400_000;
  return ctx.store.unitOfWork(async (uow) => {
    const fields: SshCertificateFields = {
      kind: 'host',
      publicKey: key,
      serial: await uow.nextSerial(),
      keyId: `host:${product.sku}:${device.serial}`,
      principals: hostPrincipals(product, device, policy),
      validAfter: new Date(now.getTime() - ctx.identity.config.backdateSeconds * 1000),
      validBefore: new Date(now.getTime() + validityMs),
    };
    const owner = `device:${product.sku}:${device.serial}`;
    const certificate = await signedCertificate(ctx, ca, fields, { productId: product.id, deviceId: device.id, owner, purpose: 'host identity', fingerprint, now });
    await uow.insertCertificate(certificate);
    uow.recordEvents([
      {
        actor: actorName(actor),
        action: 'ssh.host_certificate.issued',
        subjectType: 'device',
        subjectId: device.id,
        details: {
          product: product.sku,
          serial: device.serial,
          certificateSerial: fields.serial.toString(),
          keyId: fields.keyId,
          keyFingerprint: fingerprint,
          principals: fields.principals,
          validAfter: certificate.validAfter.toISOString(),
          validBefore: certificate.validBefore.toISOString(),
        },
      },
    ]);
    return certificate;
  }, { at: now });
}

function stillFresh(c: SshCertificateRecord, now: Date): boolean {
  const life = c.validBefore.getTime() - c.validAfter.getTime();
  return c.validBefore.getTime() - now.getTime() > life / 2;
}

function hostKey(value: unknown): SshPublicKey {
  if (typeof value !== 'string' || value.length > MAX_PUBLIC_KEY_LINE) throw new TrustplaneError('SSH_PUBLIC_KEY_INVALID', `publicKey must be one .pub line of at most ${MAX_PUBLIC_KEY_LINE} bytes`);
  return parseSshPublicKey(value.trim());
}
