import type { TpmHashName, TpmQuoteEvidence } from '../../attestation/tpm/index.ts';
import { AgentError } from '../agent-error.ts';
import { readPublic, type TpmHandles, defaultTpmHandles } from './tpm-attestation-key.ts';
import { handleArg, type Tpm2Tools } from './tpm2-tools.ts';

const digestBytes: Readonly<Record<TpmHashName, number>> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

/**
 * TPM2_Quote over the verifier's nonce with the AK (tpm2_quote: -m TPMS_ATTEST, -s TPMT_SIGNATURE,
 * -o with -F values the selected PCR values concatenated in selection order, read right after the
 * quote), as the evidence the agent sends. The verifier checks that the values hash to the quoted
 * digest, so a PCR extended between the quote and the read is refused there, never trusted here.
 */
export async function quotePcrs(
  tools: Tpm2Tools,
  nonce: Uint8Array,
  selection: { readonly bank: TpmHashName; readonly pcrs: readonly number[] },
  handles: TpmHandles = defaultTpmHandles,
): Promise<TpmQuoteEvidence> {
  const indices = [...new Set(selection.pcrs)].sort((a, b) => a - b);
  const akPublic = await readPublic(tools, handles.ak);
  return tools.withFiles(async (f) => {
    await tools.run('tpm2_quote', [
      '-c',
      handleArg(handles.ak),
      '-l',
      `${selection.bank}:${indices.join(',')}`,
      '-q',
      Buffer.from(nonce).toString('hex'),
      '-g',
      'sha256',
      '-m',
      f('attest'),
      '-s',
      f('signature'),
      '-o',
      f('pcrs'),
      '-F',
      'values',
    ]);
    const raw = await tools.readBytes(f('pcrs'));
    const size = digestBytes[selection.bank];
    if (raw.length !== size * indices.length)
      throw new AgentError(
        'state',
        'TPM_COMMAND_FAILED',
        `tpm2_quote wrote ${raw.length} bytes of PCR values, not ${indices.length} × ${size}`,
      );
    const values = new Map(indices.map((pcr, k) => [pcr, raw.slice(k * size, (k + 1) * size)]));
    return {
      kind: 'tpm2-quote',
      akPublic,
      attest: await tools.readBytes(f('attest')),
      signature: await tools.readBytes(f('signature')),
      pcrs: { alg: selection.bank, values },
    };
  });
}

/**
 * TPM2_PCR_Extend of one measurement (a digest of the bank's size). On a device the boot chain
 * measures; the agent extends only for a simulated device, and the tests for a firmware's boot.
 */
export async function extendPcr(
  tools: Tpm2Tools,
  pcr: number,
  bank: TpmHashName,
  measurement: Uint8Array,
): Promise<void> {
  await tools.run('tpm2_pcrextend', [`${pcr}:${bank}=${Buffer.from(measurement).toString('hex')}`]);
}
