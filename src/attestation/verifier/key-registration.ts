import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { actorName, type Actor, type DeviceRecord, type ProductRecord } from '../../pki/records.types.ts';
import type { AttestationContext, AttestationKeyRecord, EkCertificateCheck, ManufacturerCaRecord } from '../attestation-store.types.ts';
import { checkAttestationKey } from '../tpm/attestation-key.ts';
import { certifiedKey, endorsementPublicKey, verifyEkCertificate } from '../tpm/ek-certificate.ts';
import { parseEndorsementKey } from '../tpm/endorsement-key.ts';
import { makeCredential, type MadeCredential } from '../tpm/make-credential.ts';
import { parseTpm2bPublic } from '../tpm/tpmt-public.ts';

/**
 * What a device sends to register its AK: TPM2B_PUBLICs as tpm2-tools writes them, the EK
 * certificate DER (from NV) if it has one, and the intermediates up to its manufacturer's CA (DER).
 */
export interface AttestationKeyRegistration {
  readonly akPublic: Uint8Array;
  readonly ekPublic: Uint8Array;
  readonly ekCertificate?: Uint8Array;
  readonly ekIntermediates?: readonly Uint8Array[];
}

export interface CredentialChallenge extends MadeCredential {
  readonly id: string;
  readonly expiresAt: Date;
}

/** 32 bytes: at most the EK nameAlg's digest size (Part 3 §12.6.1), and SHA-256's is the smallest accepted. */
const CREDENTIAL_BYTES = 32;

const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

/**
 * Step 1 of AK registration (docs/design/attestation.md, "AK registration"): the AK must be an
 * attestation key and the EK an endorsement key (both attacker-controlled TPM2B_PUBLICs, parsed
 * with their limits); an EK certificate, when sent, must certify that EK, and when the product
 * trusts TPM manufacturer CAs it is required and must chain to one of them. The answer is a
 * TPM2_MakeCredential challenge over a fresh random credential for the AK's Name, which only the
 * TPM holding that EK, with that AK loaded, can open. Only the credential's SHA-256 is kept.
 * Nothing is bound yet: a pending registration binds no Name (the device's earlier pending one is replaced).
 */
export async function registerAttestationKey(ctx: AttestationContext, device: DeviceRecord, registration: AttestationKeyRegistration): Promise<CredentialChallenge> {
  const ak = parseTpm2bPublic(registration.akPublic);
  checkAttestationKey(ak);
  const ek = parseEndorsementKey(registration.ekPublic);
  const now = ctx.clock.now();
  const ekCheck = checkEkCertificate(registration, ek, await ctx.store.listManufacturerCas(device.productId), now);
  await refuseBoundElsewhere(ctx, device, ak.name);

  const credential = ctx.random.bytes(CREDENTIAL_BYTES);
  const made = makeCredential(registration.ekPublic, ak.name, credential, ctx.random);
  const key: AttestationKeyRecord = {
    id: newId('ak', ctx.random),
    deviceId: device.id,
    akName: ak.name,
    akPublic: registration.akPublic,
    ekPublic: registration.ekPublic,
    ekCertificate: registration.ekCertificate ?? null,
    credentialDigest: sha256(credential),
    challengeExpiresAt: new Date(now.getTime() + ctx.config.credentialChallengeSeconds * 1000),
    activatedAt: null,
    registeredAt: now,
    retiredAt: null,
    lastQuoteClock: null,
    ekCertificateCheck: ekCheck.check,
    ekManufacturerCa: ekCheck.manufacturerCa,
  };
  await ctx.store.insertPendingKey(key);
  return { id: key.id, expiresAt: key.challengeExpiresAt, credentialBlob: made.credentialBlob, secret: made.secret };
}

/**
 * TCG EK Credential Profile §3: what the EK certificate proves of the EK. When the product trusts
 * TPM manufacturer CAs, the certificate is required and must chain to one of them (each link a CA
 * within its validity at `now`) and certify this EK: a software "TPM" with an EK of its own
 * cannot register. A product that trusts none keeps the certificate, if sent, checked for its key only.
 */
function checkEkCertificate(
  registration: AttestationKeyRegistration,
  ek: ReturnType<typeof parseEndorsementKey>,
  cas: readonly ManufacturerCaRecord[],
  now: Date,
): { check: EkCertificateCheck; manufacturerCa: Uint8Array | null } {
  const certificate = registration.ekCertificate;
  if (cas.length === 0) {
    if (certificate === undefined) return { check: 'none', manufacturerCa: null };
    ekCertificateIsForEk(certificate, ek);
    return { check: 'key-checked', manufacturerCa: null };
  }
  if (certificate === undefined) throw new TrustplaneError('EK_CERTIFICATE_REQUIRED');
  const anchor = verifyEkCertificate({
    ekPublic: registration.ekPublic,
    ekCertificate: certificate,
    intermediates: registration.ekIntermediates ?? [],
    trustAnchors: cas.map((ca) => ca.certificate),
    now,
  });
  return { check: 'chain-verified', manufacturerCa: sha256(new Uint8Array(anchor.raw)) };
}

/** The certificate's subject key is the EK (no issuer check: the product trusts no manufacturer CA). */
function ekCertificateIsForEk(der: Uint8Array, ek: ReturnType<typeof parseEndorsementKey>): void {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(der);
  } catch (cause) {
    throw new TrustplaneError('CERTIFICATE_MALFORMED', 'the EK certificate cannot be parsed', { cause });
  }
  if (!certifiedKey(certificate)?.equals(endorsementPublicKey(ek).export({ format: 'der', type: 'spki' }))) throw new TrustplaneError('EK_CERTIFICATE_MISMATCH');
}

/**
 * At activation, under a share lock on the product's CAs (a removal waits): the manufacturer CAs may
 * have changed since the challenge was made. An AK binds only if its EK certificate chained to a CA
 * the product still trusts, or the product trusts none.
 */
function ekStillTrusted(key: AttestationKeyRecord, cas: readonly ManufacturerCaRecord[]): void {
  if (cas.length === 0) return;
  const anchor = key.ekManufacturerCa;
  if (key.ekCertificateCheck !== 'chain-verified' || anchor === null || !cas.some((ca) => Buffer.from(ca.fingerprintSha256).equals(anchor)))
    throw new TrustplaneError(key.ekCertificate === null ? 'EK_CERTIFICATE_REQUIRED' : 'EK_CERTIFICATE_UNTRUSTED', "the product's trusted TPM manufacturer CAs changed since the registration: register again");
}

async function refuseBoundElsewhere(ctx: AttestationContext, device: DeviceRecord, akName: Uint8Array): Promise<void> {
  const bound = await ctx.store.findBoundKey(akName);
  if (bound && bound.deviceId !== device.id) throw new TrustplaneError('ATTESTATION_KEY_BOUND_TO_OTHER_DEVICE');
}

/**
 * Step 2: the device returns what TPM2_ActivateCredential recovered. If it is the credential
 * (compared in constant time), the AK lives in the TPM that holds the EK (Part 1 §24): the AK is
 * bound to the device, its previous AK retired, `attestation.key_registered` written in the same
 * transaction. A retried activation whose answer was lost gets the same answer and writes nothing (DESIGN rule 8).
 */
export async function activateAttestationKey(
  ctx: AttestationContext,
  product: ProductRecord,
  device: DeviceRecord,
  id: string,
  credential: Uint8Array,
  actor: Actor,
): Promise<AttestationKeyRecord> {
  const now = ctx.clock.now();
  return ctx.store.unitOfWork(
    async (uow) => {
      const key = await uow.lockKey(device.id, id);
      if (!key || key.retiredAt !== null) throw new TrustplaneError('ATTESTATION_KEY_REGISTRATION_NOT_FOUND');
      const digest = sha256(credential);
      const matches = timingSafeEqual(digest, key.credentialDigest);
      if (key.activatedAt !== null) {
        if (!matches) throw new TrustplaneError('ATTESTATION_CREDENTIAL_INVALID');
        return key;
      }
      if (now.getTime() >= key.challengeExpiresAt.getTime()) throw new TrustplaneError('ATTESTATION_CHALLENGE_EXPIRED');
      if (!matches) throw new TrustplaneError('ATTESTATION_CREDENTIAL_INVALID');
      ekStillTrusted(key, await uow.shareLockManufacturerCas(product.id));
      const [locked] = await uow.lockDevices([{ productId: product.id, serial: device.serial }]);
      if (!locked) throw new TrustplaneError('DEVICE_NOT_FOUND');
      if (locked.state !== 'active') throw new TrustplaneError('DEVICE_NOT_ACTIVE', `the device is ${locked.state}`);
      const bound = await uow.lockBoundKey(key.akName);
      if (bound && bound.deviceId !== device.id) throw new TrustplaneError('ATTESTATION_KEY_BOUND_TO_OTHER_DEVICE');
      // The same AK activated before on this device: the Name stays bound to that row. Registering
      // the current AK again changes nothing; a retired one stays retired.
      if (bound?.retiredAt === null) return bound;
      if (bound) throw new TrustplaneError('ATTESTATION_KEY_INVALID', 'a retired AK is not registered again');
      const previous = await uow.currentKey(device.id);
      await uow.activateKey(device.id, key.id, now);
      uow.recordEvents([
        {
          actor: actorName(actor),
          action: 'attestation.key_registered',
          subjectType: 'device',
          subjectId: device.id,
          details: {
            product: product.sku,
            serial: device.serial,
            attestationKey: key.id,
            akName: Buffer.from(key.akName).toString('hex'),
            binding: 'credential-activation',
            ekCertificate: key.ekCertificateCheck,
            ...(key.ekManufacturerCa === null ? {} : { manufacturerCa: Buffer.from(key.ekManufacturerCa).toString('hex') }),
            ...(previous ? { retired: previous.id } : {}),
          },
        },
      ]);
      return { ...key, activatedAt: now };
    },
    { at: now },
  );
}
