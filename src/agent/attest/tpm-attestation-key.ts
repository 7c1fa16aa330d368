import { parseEndorsementKey } from '../../attestation/tpm/endorsement-key.ts';
import { handleArg, type Tpm2Tools } from './tpm2-tools.ts';

/**
 * Where the keys live. TCG EK Credential Profile 2.x §2.2.1.5 / TCG Provisioning Guidance:
 * 0x81010002 is the ECC P-256 EK's persistent handle. The AK's handle is trustplane's choice
 * in the owner range of persistent handles (TPM 2.0 Part 2 §7.5).
 */
export const defaultTpmHandles = { ek: 0x81010002, ak: 0x81000a01 } as const;

export interface TpmHandles {
  readonly ek: number;
  readonly ak: number;
}

/** What the verifier registers for the device: the two public areas, TPM2B_PUBLIC as the TPM marshals them. */
export interface AttestationKeyPublics {
  readonly ekPublic: Uint8Array;
  readonly akPublic: Uint8Array;
}

async function persistentHandles(tools: Tpm2Tools): Promise<Set<number>> {
  const out = await tools.run('tpm2_getcap', ['handles-persistent']);
  return new Set([...out.matchAll(/0x[0-9a-fA-F]{8}/g)].map((m) => Number.parseInt(m[0], 16)));
}

/**
 * Makes the EK (the TCG default template: ECC P-256, or RSA 2048) and an AK under it (ECC P-256,
 * ECDSA with SHA-256, restricted signing: tpm2_createak's template), both persistent. Idempotent:
 * a key already at its handle is kept, so a retried provisioning never replaces a registered AK.
 */
export async function provisionAttestationKey(
  tools: Tpm2Tools,
  handles: TpmHandles = defaultTpmHandles,
  ekTemplate: 'ecc' | 'rsa' = 'ecc',
): Promise<AttestationKeyPublics> {
  const present = await persistentHandles(tools);
  if (!present.has(handles.ek))
    await tools.withFiles(async (f) => {
      await tools.run('tpm2_createek', ['-c', handleArg(handles.ek), '-G', ekTemplate, '-u', f('ek.pub')]);
    });
  if (!present.has(handles.ak))
    await tools.withFiles(async (f) => {
      await tools.run('tpm2_createak', [
        '-C',
        handleArg(handles.ek),
        '-c',
        f('ak.ctx'),
        '-G',
        'ecc',
        '-g',
        'sha256',
        '-s',
        'ecdsa',
        '-u',
        f('ak.pub'),
        '-f',
        'tss',
      ]);
      await tools.run('tpm2_evictcontrol', ['-C', 'o', '-c', f('ak.ctx'), handleArg(handles.ak)]);
    });
  return { ekPublic: await readPublic(tools, handles.ek), akPublic: await readPublic(tools, handles.ak) };
}

/** TPM2B_PUBLIC of a loaded or persistent object (tpm2_readpublic -f tss). */
export function readPublic(tools: Tpm2Tools, handle: number): Promise<Uint8Array> {
  return tools.withFiles(async (f) => {
    await tools.run('tpm2_readpublic', ['-c', handleArg(handle), '-f', 'tss', '-o', f('public')]);
    return tools.readBytes(f('public'));
  });
}

/**
 * TCG EK Credential Profile §2.2.1.4: NV indices where the manufacturer stores the EK certificate
 * (DER) for the default (low-range) templates, and the high range's ECC P-384 one.
 */
export const ekCertificateNvIndex = { rsa2048: 0x01c00002, eccP256: 0x01c0000a, eccP384HighRange: 0x01c00016 } as const;

/** The EK certificate the TPM's manufacturer wrote into NV, DER. */
export function readEkCertificate(tools: Tpm2Tools, nvIndex: number = ekCertificateNvIndex.eccP256): Promise<Uint8Array> {
  return readNvIndex(tools, nvIndex);
}

/** An NV index's whole contents (tpm2_nvread, authorised by the index's own empty value, as manufacturers define theirs). */
export function readNvIndex(tools: Tpm2Tools, nvIndex: number): Promise<Uint8Array> {
  return tools.withFiles(async (f) => {
    await tools.run('tpm2_nvread', ['-o', f('nv.bin'), handleArg(nvIndex)]);
    return tools.readBytes(f('nv.bin'));
  });
}

/** The EK certificate's NV index for this EK's key (TCG EK Credential Profile §2.2.1.4): RSA 2048, ECC P-256 low range, ECC P-384 high range. */
export function ekCertificateIndexFor(ekPublic: Uint8Array): number {
  const ek = parseEndorsementKey(ekPublic);
  if (ek.key.type === 'rsa') return ekCertificateNvIndex.rsa2048;
  return ek.key.curve === 'prime256v1' ? ekCertificateNvIndex.eccP256 : ekCertificateNvIndex.eccP384HighRange;
}

/**
 * The EK certificate at `nvIndex`, or undefined when the TPM has no such NV index (a TPM whose
 * manufacturer wrote no certificate, or one for another EK type).
 */
export async function findEkCertificate(tools: Tpm2Tools, nvIndex: number): Promise<Uint8Array | undefined> {
  return (await definedNvIndices(tools)).includes(nvIndex) ? readEkCertificate(tools, nvIndex) : undefined;
}

/** The NV indices the TPM has defined, ascending (tpm2_getcap handles-nv-index). */
export async function definedNvIndices(tools: Tpm2Tools): Promise<number[]> {
  const defined = await tools.run('tpm2_getcap', ['handles-nv-index']);
  // tpm2_getcap prints the indices without leading zeros: 0x1C00002
  return [...new Set([...defined.matchAll(/0x[0-9a-fA-F]{1,8}\b/g)].map((m) => Number.parseInt(m[0], 16)))].sort((a, b) => a - b);
}
