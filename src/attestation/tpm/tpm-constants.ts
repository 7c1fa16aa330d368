/** TPM 2.0 Library Part 2 constants trustplane reads, with their sections. */

/** Part 2 §6.2: TPM_GENERATED_VALUE, 0xFF 'TCG'. A restricted key signs nothing that starts with it unless the TPM made it. */
export const TPM_GENERATED_VALUE = 0xff544347;

/** Part 2 §6.9: structure tags. */
export const TPM_ST_ATTEST_QUOTE = 0x8018;

/** Part 2 §6.3: TPM_ALG_ID values trustplane meets. */
export const TPM_ALG = {
  RSA: 0x0001,
  SHA1: 0x0004,
  SHA256: 0x000b,
  SHA384: 0x000c,
  SHA512: 0x000d,
  NULL: 0x0010,
  RSASSA: 0x0014,
  RSAPSS: 0x0016,
  ECDSA: 0x0018,
  ECC: 0x0023,
} as const;

/** Part 2 §6.4: TPM_ECC_CURVE. */
export const TPM_ECC_CURVE = { NIST_P256: 0x0003, NIST_P384: 0x0004 } as const;

/** Part 2 §7.4: TPM_RH_ENDORSEMENT, the hierarchy whose handle starts every EK's qualified name. */
export const TPM_RH_ENDORSEMENT = 0x4000000b;

/** Part 2 §8.3: TPMA_OBJECT bits. */
export const TPMA_OBJECT = {
  fixedTPM: 1 << 1,
  fixedParent: 1 << 4,
  sensitiveDataOrigin: 1 << 5,
  restricted: 1 << 16,
  decrypt: 1 << 17,
  sign: 1 << 18,
} as const;

export type TpmHashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** Hash algorithms by TPM_ALG_ID, with Node's name and the digest size (Part 2 §10.3 TPMU_HA). */
export const tpmHashes: ReadonlyMap<number, { readonly name: TpmHashName; readonly size: number }> = new Map([
  [TPM_ALG.SHA1, { name: 'sha1', size: 20 }],
  [TPM_ALG.SHA256, { name: 'sha256', size: 32 }],
  [TPM_ALG.SHA384, { name: 'sha384', size: 48 }],
  [TPM_ALG.SHA512, { name: 'sha512', size: 64 }],
]);

export function tpmHashId(name: TpmHashName): number {
  for (const [id, h] of tpmHashes) if (h.name === name) return id;
  throw new Error(`no TPM_ALG_ID for ${name}`);
}

/** Part 2 §10.3.1: sizeof(TPMU_HA), the bound of TPM2B_DIGEST and TPM2B_DATA. */
export const MAX_DIGEST_BYTES = 64;
/** Part 2 §10.5.2: sizeof(TPMU_NAME) = a TPMT_HA (2 + 64) or a handle. */
export const MAX_NAME_BYTES = 66;
/** Part 2 §10.6.1: PCR_SELECT_MAX for a TPM with up to 32 PCRs. */
export const MAX_PCR_SELECT_BYTES = 4;
/** Part 2 §10.9.7: HASH_COUNT bound of a TPML_PCR_SELECTION (banks). */
export const MAX_PCR_BANKS = 16;
/** Part 2 §11.2.4.5: MAX_ECC_KEY_BYTES (P-521 is 66). */
export const MAX_ECC_KEY_BYTES = 66;
/** Part 2 §11.2.4.5: MAX_RSA_KEY_BYTES (RSA 4096). */
export const MAX_RSA_KEY_BYTES = 512;
