import { createHash } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import { tpmHashes, tpmHashId, type TpmHashName } from './tpm-constants.ts';

export function digestSize(hash: TpmHashName): number {
  return tpmHashes.get(tpmHashId(hash))?.size ?? 0;
}

/**
 * TPM 2.0 Part 3 §18.4 (TPM2_Quote): pcrDigest = H_sign(PCR values of the selection, concatenated
 * in the selection's order: bank by bank, ascending index within a bank), H_sign being the hash of
 * the signing scheme.
 */
export function pcrDigest(signHash: TpmHashName, valuesInSelectionOrder: readonly Uint8Array[]): Uint8Array {
  const h = createHash(signHash);
  for (const v of valuesInSelectionOrder) h.update(v);
  return new Uint8Array(h.digest());
}

/**
 * The reference value of one PCR: Part 1 §17.2 TPM2_PCR_Extend, PCR_new = H(PCR_old || measurement),
 * from the reset value of zeros. Each measurement is a digest of the bank's size (as
 * tpm2_pcrextend takes it); the order is the boot order.
 */
export function referencePcrValue(bank: TpmHashName, measurements: readonly Uint8Array[]): Uint8Array {
  const size = digestSize(bank);
  let pcr = new Uint8Array(size);
  for (const [i, m] of measurements.entries()) {
    if (m.length !== size)
      throw new TrustplaneError('VALIDATION_FAILED', `measurement ${i} is ${m.length} bytes, not a ${bank} digest`);
    pcr = new Uint8Array(createHash(bank).update(pcr).update(m).digest());
  }
  return pcr;
}
