import type { KeyObject } from 'node:crypto';
import { errorCatalog, TrustplaneError, type ErrorCode } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { transitionDevice } from '../../pki/devices.ts';
import { actorName, type Actor, type DeviceRecord, type ProductRecord } from '../../pki/records.types.ts';
import type { ReleaseRecord } from '../../updates/release.types.ts';
import { appraiseEvidence, refusedAppraisal, type Appraisal } from '../appraisal/appraise-evidence.ts';
import type { AttestationContext, AttestationResultRecord, AttestationUnitOfWork } from '../attestation-store.types.ts';
import type { Evidence } from '../evidence.ts';
import { consumeNonce } from './challenge.ts';
import { decideRefusal, suppressedDetails, type RefusalDecision } from './refusal-window.ts';
import { signAttestationResult } from '../results/ear-token.ts';

/** The verifier's build, in each signed result (EAR ear.verifier-id). */
const VERIFIER_BUILD = 'trustplane 0.1.0';

export interface EvidenceSubmission {
  readonly product: ProductRecord;
  readonly device: DeviceRecord;
  readonly nonce: Uint8Array;
  readonly evidence: Evidence;
  /** evidenceDigest of the evidence as sent: what tells a retry from a replay */
  readonly evidenceSha256: Uint8Array;
  /** the key of the certificate the device authenticated with */
  readonly deviceKey: KeyObject;
  /** the product's releases: the reference values */
  readonly releases: readonly ReleaseRecord[];
  readonly installedSecurityVersion: number | undefined;
  /** the product policy's PCRs a quote must match (attestation-policy.ts) */
  readonly requiredPcrs: readonly number[];
}

const NONCE_CODES = new Set(['ATTESTATION_NONCE_UNKNOWN', 'ATTESTATION_NONCE_USED', 'ATTESTATION_NONCE_EXPIRED']);

/**
 * A nonce refusal is repeatable without a fresh nonce (refusal-window.ts): written once per device
 * and reason per window, the rest counted — but only while the device's latest result is already
 * contraindicated, so that counting never hides a change of its standing (a device affirming a
 * minute ago that replays is recorded, and untrusted, at once). The device row locked first.
 */
async function nonceRefusal(ctx: AttestationContext, uow: AttestationUnitOfWork, s: EvidenceSubmission, reason: string, at: Date): Promise<RefusalDecision> {
  await uow.lockDevices([{ productId: s.product.id, serial: s.device.serial }]);
  const standing = await uow.latestResult(s.device.id);
  return decideRefusal(ctx, uow, { deviceId: s.device.id, reason, scope: '' }, at, { mayCount: standing?.status === 'contraindicated' });
}

/**
 * Evidence in, result out, in one transaction: the nonce consumed, the evidence appraised, the
 * result stored and its ledger event written — `attestation.passed`, or `attestation.failed` with
 * the failed check's code, after which the device's latest result says contraindicated (untrusted)
 * until a later pass; under a `suspendOnFailure` policy the device is suspended in the same
 * transaction (its certificates on hold: OCSP answers certificateHold). A refusal is then thrown, so the device gets the code as a problem; evidence
 * that cannot be parsed (400) writes nothing and leaves the nonce unused.
 */
export async function submitEvidence(ctx: AttestationContext, s: EvidenceSubmission, actor: Actor): Promise<AttestationResultRecord> {
  const now = ctx.clock.now();
  const key = await ctx.store.currentKey(s.device.id);
  // an AK bound through a manufacturer CA's chain stands only while the product still trusts that CA
  const anchor = key?.ekCertificateCheck === 'chain-verified' ? key.ekManufacturerCa : null;
  const attestationKeyAnchored = anchor === null || (await ctx.store.listManufacturerCas(s.product.id)).some((ca) => Buffer.from(ca.fingerprintSha256).equals(anchor));
  const signer = await ctx.verifierSigner();
  const outcome = await ctx.store.unitOfWork(
    async (
      uow,
    ): Promise<{ counted: TrustplaneError; decision: RefusalDecision } | { repeated: AttestationResultRecord } | { result: AttestationResultRecord; appraisal: Appraisal; decision: RefusalDecision | undefined }> => {
      let appraisal: Appraisal;
      let decision: RefusalDecision | undefined;
      // the result's id is the nonce's too: the same evidence again is answered with this result
      const resultId = newId('ar', ctx.random);
      // the AK's row locked: two quotes of one AK are appraised against each other's counters in turn
      const locked = key && s.evidence.kind === 'tpm2-quote' ? await uow.lockKey(s.device.id, key.id) : undefined;
      try {
        const repeated = await consumeNonce(uow, s.device, s.nonce, now, { evidenceSha256: s.evidenceSha256, resultId });
        if (repeated) return { repeated };
        appraisal = appraiseEvidence({
          lastQuoteClock: locked?.lastQuoteClock,
          device: s.device,
          evidence: s.evidence,
          nonce: s.nonce,
          attestationKey: key,
          deviceKey: s.deviceKey,
          releases: s.releases,
          installedSecurityVersion: s.installedSecurityVersion,
          requiredPcrs: s.requiredPcrs,
          attestationKeyAnchored,
        });
      } catch (e) {
        if (!(e instanceof TrustplaneError) || !NONCE_CODES.has(e.code)) throw e;
        decision = await nonceRefusal(ctx, uow, s, e.code, now);
        if (!decision.record) return { counted: e, decision };
        appraisal = refusedAppraisal(e);
      }
      const unsigned: AttestationResultRecord = {
        id: resultId,
        deviceId: s.device.id,
        evidenceKind: s.evidence.kind,
        status: appraisal.status,
        reasonCode: appraisal.reasonCode,
        trustworthiness: appraisal.trustworthiness,
        releaseId: appraisal.release?.id ?? null,
        attestationKeyId: s.evidence.kind === 'tpm2-quote' ? (key?.id ?? null) : null,
        appraisedAt: now,
        expiresAt: new Date(now.getTime() + ctx.config.resultValiditySeconds * 1000),
        signedResult: null,
        signedBy: signer.keyId,
      };
      // Signed inside the transaction: the stored result and its signed form are one.
      const result = { ...unsigned, signedResult: await signAttestationResult(signer, unsigned, { product: s.product.sku, serial: s.device.serial }, { build: VERIFIER_BUILD }) };
      await uow.insertResult(result);
      if (locked && appraisal.quoteClock) await uow.recordQuoteClock(locked.id, appraisal.quoteClock);
      uow.recordEvents([
        {
          actor: actorName(actor),
          action: appraisal.status === 'contraindicated' ? 'attestation.failed' : 'attestation.passed',
          subjectType: 'device',
          subjectId: s.device.id,
          details: {
            product: s.product.sku,
            serial: s.device.serial,
            result: result.id,
            evidence: result.evidenceKind,
            status: result.status,
            ...(appraisal.reasonCode ? { reason: appraisal.reasonCode } : {}),
            ...(appraisal.release ? { release: appraisal.release.id, version: appraisal.release.version } : {}),
            trustworthiness: result.trustworthiness,
            ...(decision ? suppressedDetails(decision) : {}),
          },
        },
      ]);
      // DESIGN rule 7: the policy suspends; only an operator reinstates (a suspended device cannot even reach this route).
      if (appraisal.status === 'contraindicated' && (await uow.lockPolicy(s.product.id))?.suspendOnFailure === true)
        await transitionDevice(uow, s.product, s.device.serial, { transition: 'suspend' }, { kind: 'system', name: `attestation policy (${result.id})` }, now);
      return { result, appraisal, decision };
    },
    { at: now },
  );
  if ('counted' in outcome) {
    // counted, not written: the same code as a written one, no result of its own
    ctx.metrics.refusalSuppressed(outcome.counted.code);
    throw new TrustplaneError(outcome.counted.code, outcome.counted.message);
  }
  if ('repeated' in outcome) {
    // DESIGN rule 8: the answer the device lost, again; nothing was written
    ctx.metrics.evidenceRepeated();
    const earlier = outcome.repeated;
    if (earlier.reasonCode !== null) throw new TrustplaneError(Object.hasOwn(errorCatalog, earlier.reasonCode) ? (earlier.reasonCode as ErrorCode) : 'ATTESTATION_NONCE_USED', undefined, { details: { result: earlier.id } });
    return earlier;
  }
  const { result, appraisal } = outcome;
  if (appraisal.reasonCode !== null)
    throw new TrustplaneError(appraisal.reasonCode, appraisal.reason ?? undefined, { details: { result: result.id } });
  return result;
}
