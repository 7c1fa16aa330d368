// Worker thread: parses and checks CSRs (attacker-controlled, size-limited by verifyCsr) off the
// server's main thread. Answers with the verified key, or the TrustplaneError code and message.
import { parentPort } from 'node:worker_threads';
import { isTrustplaneError } from '../core/errors.ts';
import { keyIdentifierOf } from '../pki/certificate-builder.ts';
import { verifyCsr } from '../pki/csr.ts';
import type { CsrWorkerReply, CsrWorkerRequest } from './csr-verifier-pool.ts';

parentPort!.on('message', (batch: CsrWorkerRequest[]) => {
  const replies: CsrWorkerReply[] = batch.map(({ id, der }) => {
    try {
      const v = verifyCsr(der);
      return { id, ok: true, spki: v.spki, spkiSha256: v.spkiSha256, keyAlgorithm: v.keyAlgorithm, subjectSerials: v.subjectSerials, keyIdentifier: keyIdentifierOf(v.spki) };
    } catch (e) {
      if (isTrustplaneError(e)) return { id, ok: false, code: e.code, message: e.message };
      return { id, ok: false, code: 'INTERNAL', message: 'the CSR check failed' };
    }
  });
  parentPort!.postMessage(replies);
});
