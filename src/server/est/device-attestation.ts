import { X509Certificate } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { TrustplaneError } from '../../core/errors.ts';
import { issueNonce } from '../../attestation/verifier/challenge.ts';
import { activateAttestationKey, registerAttestationKey } from '../../attestation/verifier/key-registration.ts';
import { submitEvidence } from '../../attestation/verifier/evidence-submission.ts';
import { decodeEvidence, evidenceDigest } from '../../attestation/evidence.ts';
import { MAX_TPM2B_PUBLIC_BYTES } from '../../attestation/tpm/tpmt-public.ts';
import { MAX_EK_INTERMEDIATES } from '../../attestation/tpm/ek-certificate.ts';
import { decodeBase64Strict } from '../../ledger/strict-base64.ts';
import { skuParams } from '../routes/schemas.ts';
import type { Trustplane } from '../trustplane.ts';
import { DEVICE_PREFIX, deviceJsonRoutes } from './device-routes.ts';
import { refuseInactiveDevice } from '../../attestation/verifier/inactive-device.ts';
import type { CertificateRecord, DeviceRecord, ProductRecord } from '../../pki/records.types.ts';
import type { FastifyRequest } from 'fastify';
import { activeDevice, inactiveDevice } from './est-authentication.ts';

/**
 * Attacker-controlled: the largest body is an AK registration with an EK certificate and its
 * intermediates (each ≤ 4 KiB, base64) or a quote (three TPM structures ≤ 1 KiB and the PCRs).
 */
export const MAX_ATTESTATION_BODY_BYTES = 32 * 1024;
/** An EK certificate is a few hundred bytes to 2 KiB in practice. */
const MAX_EK_CERTIFICATE_BYTES = 4096;

const base64Of = (maxBytes: number) => ({ type: 'string', minLength: 4, maxLength: 4 * Math.ceil(maxBytes / 3), pattern: '^[A-Za-z0-9+/]+={0,2}$' }) as const;

export const attestationKeyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['akPublic', 'ekPublic'],
  properties: {
    akPublic: base64Of(MAX_TPM2B_PUBLIC_BYTES),
    ekPublic: base64Of(MAX_TPM2B_PUBLIC_BYTES),
    ekCertificate: base64Of(MAX_EK_CERTIFICATE_BYTES),
    // the chain up to the product's trusted manufacturer CA, issuer after issuer (verifyEkCertificate)
    ekIntermediates: { type: 'array', maxItems: MAX_EK_INTERMEDIATES, items: base64Of(MAX_EK_CERTIFICATE_BYTES) },
  },
} as const;

export const activationBody = {
  type: 'object',
  additionalProperties: false,
  required: ['credential'],
  properties: { credential: base64Of(64) },
} as const;

export const evidenceBody = {
  type: 'object',
  additionalProperties: false,
  required: ['nonce', 'evidence'],
  // the evidence's own layout is decodeEvidence's (ATTESTATION_EVIDENCE_MALFORMED)
  properties: { nonce: base64Of(64), evidence: { type: 'object' } },
} as const;

const keyParams = {
  type: 'object',
  properties: { sku: skuParams.properties.sku, id: { type: 'string', pattern: '^ak_[0-9a-f]{20}$' } },
  required: ['sku', 'id'],
} as const;

/** RFC 4648 §4, one spelling per value (the schema bounded the length). */
function bytesOf(field: string, value: string): Uint8Array {
  const bytes = decodeBase64Strict(value);
  if (bytes === undefined) throw new TrustplaneError('VALIDATION_FAILED', `${field} is not canonical base64`, { details: { field } });
  return bytes;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/**
 * The device on an attestation route: `activeDevice`, except that a suspended or decommissioned
 * device that proves its current certificate is refused as an attestation failure of its own
 * (DEVICE_NOT_ACTIVE, 409, `attestation.failed` in the ledger at most once an hour; issue 15, test
 * item 2), not as a stranger (CLIENT_CERTIFICATE_REVOKED, 401, nothing written).
 */
async function attestingDevice(tp: Trustplane, request: FastifyRequest<{ Params: { sku: string } }>, call: string): Promise<{ product: ProductRecord; device: DeviceRecord; certificate: CertificateRecord }> {
  try {
    return await activeDevice(tp, request);
  } catch (e) {
    if (!(e instanceof TrustplaneError) || (e.code !== 'CLIENT_CERTIFICATE_REVOKED' && e.code !== 'DEVICE_NOT_ACTIVE')) throw e;
    const inactive = await inactiveDevice(tp, request);
    if (!inactive) throw e;
    const { product, device, certificate } = inactive;
    return refuseInactiveDevice(tp.attestation, { product, device, certificateSerial: certificate.serial, call }, { kind: 'device', product: product.sku, serial: device.serial, via: `attestation ${call}` });
  }
}

/**
 * Remote attestation on the device listener (docs/design/attestation.md), authenticated as the
 * update routes are: the device's current certificate over mutual TLS, the device active.
 */
export function deviceAttestationRoutes(app: FastifyInstance, tp: Trustplane): void {
  deviceJsonRoutes(app, MAX_ATTESTATION_BODY_BYTES, (scope) => {

    // RFC 9334 §10.2: the verifier's challenge. No body; a new nonce each call, with the PCRs the
    // verifier appraises for the product, so an agent nobody reconfigures quotes what is checked.
    scope.post<{ Params: { sku: string } }>(`${DEVICE_PREFIX}/:sku/attestation/nonce`, { schema: { params: skuParams } }, async (request, reply) => {
      const { product, device } = await attestingDevice(tp, request, 'nonce');
      const [issued, pcrs] = await Promise.all([issueNonce(tp.attestation, device), tp.attestation.store.appraisedPcrs(product.id)]);
      return reply.code(201).send({ nonce: Buffer.from(issued.nonce).toString('base64'), expiresAt: issued.expiresAt.toISOString(), pcrs });
    });

    // AK registration, step 1: a TPM2_MakeCredential challenge for the AK under the EK.
    scope.post<{ Params: { sku: string }; Body: { akPublic: string; ekPublic: string; ekCertificate?: string; ekIntermediates?: string[] } }>(
      `${DEVICE_PREFIX}/:sku/attestation/keys`,
      { schema: { params: skuParams, body: attestationKeyBody } },
      async (request, reply) => {
        const { device } = await attestingDevice(tp, request, 'keys');
        const body = request.body;
        const challenge = await registerAttestationKey(tp.attestation, device, {
          akPublic: bytesOf('akPublic', body.akPublic),
          ekPublic: bytesOf('ekPublic', body.ekPublic),
          ...(body.ekCertificate === undefined ? {} : { ekCertificate: bytesOf('ekCertificate', body.ekCertificate) }),
          ...(body.ekIntermediates === undefined ? {} : { ekIntermediates: body.ekIntermediates.map((c) => bytesOf('ekIntermediates', c)) }),
        });
        return reply.code(201).send({
          id: challenge.id,
          // TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET, as TPM2_ActivateCredential takes them
          credentialBlob: b64(challenge.credentialBlob),
          secret: b64(challenge.secret),
          expiresAt: challenge.expiresAt.toISOString(),
        });
      },
    );

    // AK registration, step 2: the credential TPM2_ActivateCredential recovered binds the AK to the device.
    scope.post<{ Params: { sku: string; id: string }; Body: { credential: string } }>(
      `${DEVICE_PREFIX}/:sku/attestation/keys/:id/activate`,
      { schema: { params: keyParams, body: activationBody } },
      async (request) => {
        const { product, device } = await attestingDevice(tp, request, 'activate');
        const key = await activateAttestationKey(tp.attestation, product, device, request.params.id, bytesOf('credential', request.body.credential), {
          kind: 'device',
          product: product.sku,
          serial: device.serial,
          via: 'attestation key activation',
        });
        return { id: key.id, akName: Buffer.from(key.akName).toString('hex'), activatedAt: key.activatedAt?.toISOString() ?? null };
      },
    );

    // RFC 9334 §3: evidence in, appraisal against the product's releases, result out.
    scope.post<{ Params: { sku: string }; Body: { nonce: string; evidence: unknown } }>(
      `${DEVICE_PREFIX}/:sku/attestation/evidence`,
      { schema: { params: skuParams, body: evidenceBody } },
      async (request, reply) => {
        const { product, device, certificate } = await attestingDevice(tp, request, 'evidence');
        const evidence = decodeEvidence(request.body.evidence);
        const nonce = bytesOf('nonce', request.body.nonce);
        const [releases, installed, policy] = await Promise.all([tp.updates.store.listReleases(product.id), tp.updates.store.deviceRelease(device.id), tp.attestation.store.findPolicy(product.id)]);
        const result = await submitEvidence(
          tp.attestation,
          {
            product,
            device,
            nonce,
            evidence,
            evidenceSha256: evidenceDigest(request.body.evidence),
            deviceKey: new X509Certificate(certificate.der).publicKey,
            releases,
            installedSecurityVersion: installed?.highestSecurityVersion,
            requiredPcrs: policy?.requiredPcrs ?? [],
          },
          { kind: 'device', product: product.sku, serial: device.serial, via: 'attestation evidence' },
        );
        return reply.code(201).send({
          result: { id: result.id, status: result.status, trustworthiness: result.trustworthiness, release: result.releaseId, appraisedAt: result.appraisedAt.toISOString(), expiresAt: result.expiresAt.toISOString() },
        });
      },
    );
  });
}
