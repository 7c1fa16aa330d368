import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { TrustplaneError, type ErrorCode } from '../core/errors.ts';
import type { KeyAlgorithm } from '../crypto/key-algorithm.ts';
import { rememberKeyIdentifierValue } from '../pki/certificate-builder.ts';
import { verifyCsrAsync, type VerifiedCsr } from '../pki/csr.ts';

export interface CsrWorkerRequest {
  id: number;
  der: Uint8Array;
}

export type CsrWorkerReply =
  | { id: number; ok: true; spki: Uint8Array; spkiSha256: Uint8Array; keyAlgorithm: KeyAlgorithm; subjectSerials: readonly string[]; keyIdentifier: Uint8Array }
  | { id: number; ok: false; code: ErrorCode; message: string };

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (v: VerifiedCsr) => void; reject: (e: unknown) => void }>;
  queued: CsrWorkerRequest[];
  flushScheduled: boolean;
}

/**
 * Parses CSRs and checks their proof of possession on worker threads, so the main thread (HTTP,
 * the embedded database, certificate encoding) and the checks use every core. Same parser, same
 * checks, same error codes as verifyCsr: the workers run it. Requests that arrive together go to
 * a worker in one message. With no workers (`size` 0) it checks in process.
 */
export class CsrVerifierPool {
  readonly #slots: Slot[] = [];
  #next = 0;
  #ids = 0;

  constructor(size = Math.max(1, availableParallelism() - 1)) {
    for (let i = 0; i < size; i++) this.#slots.push(this.#spawn());
  }

  verify(der: Uint8Array): Promise<VerifiedCsr> {
    const slot = this.#slots[this.#next++ % Math.max(1, this.#slots.length)];
    if (!slot) return verifyCsrAsync(der);
    const id = ++this.#ids;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.queued.push({ id, der });
      if (!slot.flushScheduled) {
        slot.flushScheduled = true;
        setImmediate(() => {
          slot.flushScheduled = false;
          slot.worker.postMessage(slot.queued.splice(0));
        });
      }
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#slots.splice(0).map((s) => s.worker.terminate()));
  }

  #spawn(): Slot {
    const worker = new Worker(new URL('./csr-verifier-worker.ts', import.meta.url));
    worker.unref();
    const slot: Slot = { worker, pending: new Map(), queued: [], flushScheduled: false };
    worker.on('message', (replies: CsrWorkerReply[]) => {
      for (const r of replies) {
        const p = slot.pending.get(r.id);
        if (!p) continue;
        slot.pending.delete(r.id);
        if (r.ok) {
          rememberKeyIdentifierValue(r.spki, r.keyIdentifier);
          p.resolve({ spki: r.spki, spkiSha256: r.spkiSha256, keyAlgorithm: r.keyAlgorithm, subjectSerials: r.subjectSerials });
        } else {
          p.reject(new TrustplaneError(r.code, r.message));
        }
      }
    });
    // Fail closed: a worker that dies fails what it held, and is replaced.
    worker.on('error', (cause) => {
      for (const p of slot.pending.values()) p.reject(new TrustplaneError('INTERNAL', 'the CSR check failed', { cause }));
      slot.pending.clear();
      const i = this.#slots.indexOf(slot);
      if (i >= 0) this.#slots[i] = this.#spawn();
    });
    return slot;
  }
}
