import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentError } from '../agent-error.ts';

/** How long one tpm2-tools command may take; a TPM answers in milliseconds, an RSA key in seconds. */
const COMMAND_TIMEOUT_MS = 60_000;
const TAIL_CHARS = 400;

/**
 * The TPM as the agent drives it: the tpm2-tools 5.x commands, one subprocess each, against the
 * TCTI it is given (`device:/dev/tpmrm0` on a device, `swtpm:host=127.0.0.1,port=P` in tests).
 * tpm2-tools rather than a TSS binding: Debian ships it, no native Node module to build per
 * device, and its file formats (tss TPM2B_PUBLIC, TPMS_ATTEST, TPMT_SIGNATURE) are the TPM's own
 * marshalling, which the verifier parses (docs/design/attestation.md).
 */
export class Tpm2Tools {
  readonly #tcti: string;

  constructor(tcti: string) {
    this.#tcti = tcti;
  }

  /** Runs `tool args…`; a non-zero exit is TPM_COMMAND_FAILED with the end of stderr. */
  run(tool: string, args: readonly string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        tool,
        args,
        { env: { ...process.env, TPM2TOOLS_TCTI: this.#tcti }, timeout: COMMAND_TIMEOUT_MS, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (error === null) return resolve(stdout);
          const tail = stderr.trim().slice(-TAIL_CHARS);
          reject(
            new AgentError('state', 'TPM_COMMAND_FAILED', `${tool} failed${tail ? `: ${tail}` : ''}`, { cause: error }),
          );
        },
      );
    });
  }

  /**
   * Runs `body` in a fresh private directory for the commands' input and output files, removed
   * after. Without a resource manager (swtpm, or /dev/tpm0) tpm2-tools leaves transient objects
   * and sessions loaded; they are flushed after each use so the TPM's few slots never fill.
   */
  async withFiles<T>(body: (file: (name: string) => string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'tp-tpm-'));
    try {
      return await body((name) => join(dir, name));
    } finally {
      await this.run('tpm2_flushcontext', ['-t']).catch(() => undefined);
      await this.run('tpm2_flushcontext', ['-s']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  }

  async readBytes(path: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(path));
  }
}

/** A persistent handle as tpm2-tools spells it. */
export function handleArg(handle: number): string {
  return `0x${handle.toString(16)}`;
}
