import { writeFile } from 'node:fs/promises';
import { parseEndorsementKey } from '../../attestation/tpm/endorsement-key.ts';
import type { MadeCredential } from '../../attestation/tpm/make-credential.ts';
import { defaultTpmHandles, readPublic, type TpmHandles } from './tpm-attestation-key.ts';
import { handleArg, type Tpm2Tools } from './tpm2-tools.ts';

/** tpm2-tools' credential file (tpm2_makecredential -o, tpm2_activatecredential -i): magic, version, then the two TPM2Bs. */
const CREDENTIAL_FILE_HEADER = Uint8Array.of(0xba, 0xdc, 0xc0, 0xde, 0, 0, 0, 1);

/**
 * TPM2_ActivateCredential (Part 3 §12.5) with the AK and the EK: the TPM unwraps the verifier's
 * credential only if it holds the EK's private key and the AK's name is the one the credential
 * was made for. The EK's use is authorised as its template says: PolicySecret(TPM_RH_ENDORSEMENT)
 * in a policy session flushed after (low-range templates), or its empty auth value (high-range).
 */
export async function activateCredential(
  tools: Tpm2Tools,
  made: MadeCredential,
  handles: TpmHandles = defaultTpmHandles,
): Promise<Uint8Array> {
  const ek = parseEndorsementKey(await readPublic(tools, handles.ek));
  return tools.withFiles(async (f) => {
    await writeFile(f('credential'), Uint8Array.of(...CREDENTIAL_FILE_HEADER, ...made.credentialBlob, ...made.secret));
    const activate = (ekAuth: readonly string[]): Promise<string> =>
      tools.run('tpm2_activatecredential', [
        '-c',
        handleArg(handles.ak),
        '-C',
        handleArg(handles.ek),
        '-i',
        f('credential'),
        '-o',
        f('recovered'),
        ...ekAuth,
      ]);
    if (ek.userWithAuth) {
      await activate([]);
      return tools.readBytes(f('recovered'));
    }
    await tools.run('tpm2_startauthsession', ['--policy-session', '-S', f('session.ctx')]);
    try {
      await tools.run('tpm2_policysecret', ['-S', f('session.ctx'), '-c', 'e']);
      await activate(['-P', `session:${f('session.ctx')}`]);
      return await tools.readBytes(f('recovered'));
    } finally {
      await tools.run('tpm2_flushcontext', [f('session.ctx')]).catch(() => undefined);
    }
  });
}
