import { X509Certificate } from 'node:crypto';
import { fromBER, Sequence } from 'asn1js';
import { issuedBy, MAX_EK_INTERMEDIATES } from '../../attestation/tpm/ek-certificate.ts';
import { definedNvIndices, readNvIndex } from './tpm-attestation-key.ts';
import type { Tpm2Tools } from './tpm2-tools.ts';

/**
 * TCG EK Credential Profile 2.5 §2.2.1.5.2: the NV indices where a TPM's manufacturer may store
 * the certificates between the EK certificate and its root (Intel's firmware TPMs since the 11th
 * generation do: the On-Die CA's chain). DER certificates, concatenated in no particular order,
 * overflowing from one index into the next numerically larger one; several chains (one per EK
 * certificate) concatenated as well.
 */
export const EK_CHAIN_NV_INDICES = { first: 0x01c00100, last: 0x01c001ff } as const;

/**
 * The DER certificates at the start of `bytes`, in order. Reading stops at the first thing that is
 * not a certificate — the unused end of an index, which a manufacturer may leave as 0x00 or 0xFF —
 * so a stray or damaged index costs the chain its tail, never the registration: the verifier
 * decides whether what is left chains to a CA it trusts.
 */
export function splitDerCertificates(bytes: Uint8Array): Uint8Array[] {
  const certificates: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length && bytes[at] === 0x30) {
    const rest = bytes.subarray(at);
    let der: Uint8Array;
    try {
      // asn1js throws, rather than report, on some malformed values (a GeneralizedTime): caught alike
      const { offset, result } = fromBER(rest);
      if (offset <= 0 || !(result instanceof Sequence)) break;
      der = rest.slice(0, offset);
      new X509Certificate(der);
    } catch {
      break;
    }
    certificates.push(der);
    at += der.length;
  }
  return certificates;
}

/**
 * From the EK certificate up, issuer by issuer, the certificates of `pool` that issued and signed
 * the one before: the chain for this EK certificate alone, in order, without a self-signed root
 * (the product trusts that one, or not) and at most MAX_EK_INTERMEDIATES long, which is all the
 * verifier takes. Another EK certificate's chain stored beside it is left out.
 */
export function chainFor(ekCertificate: Uint8Array, pool: readonly Uint8Array[]): Uint8Array[] {
  const candidates = pool.map((der) => ({ der, cert: new X509Certificate(der) }));
  const chain: Uint8Array[] = [];
  let current: X509Certificate;
  try {
    current = new X509Certificate(ekCertificate);
  } catch {
    return chain; // the verifier refuses such a certificate with its own reason
  }
  while (chain.length < MAX_EK_INTERMEDIATES) {
    // the verifier's own test of a link (verifyEkCertificate), without the validity it checks at its clock
    const issuer = candidates.find(({ der, cert }) => !chain.includes(der) && cert.ca && issuedBy(current, cert));
    if (issuer === undefined || issuer.cert.checkIssued(issuer.cert)) break;
    chain.push(issuer.der);
    current = issuer.cert;
  }
  return chain;
}

/**
 * The intermediates for `ekCertificate` that the manufacturer stored in the TPM's chain indices
 * (EK_CHAIN_NV_INDICES), read with tpm2_nvread in ascending order and concatenated; none when the
 * TPM defines none.
 */
export async function readEkCertificateChain(tools: Tpm2Tools, ekCertificate: Uint8Array): Promise<Uint8Array[]> {
  const indices = (await definedNvIndices(tools)).filter((i) => i >= EK_CHAIN_NV_INDICES.first && i <= EK_CHAIN_NV_INDICES.last);
  if (indices.length === 0) return [];
  const parts: Uint8Array[] = [];
  for (const index of indices) parts.push(await readNvIndex(tools, index));
  return chainFor(ekCertificate, splitDerCertificates(Buffer.concat(parts)));
}
