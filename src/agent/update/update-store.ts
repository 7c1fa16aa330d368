import { copyFile, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { stateError } from '../agent-error.ts';
import { isTemporaryName, makeDirectoryDurably, removeTreeDurably, writeFileDurably } from '../durable-files.ts';
import type { UpdateTrust } from './update.types.ts';

const PUBLIC_FILE_MODE = 0o644;
/** The TUF metadata files tuf-js keeps (no delegations in trustplane's repositories). */
export const TUF_METADATA_FILES = ['root.json', 'timestamp.json', 'snapshot.json', 'targets.json'] as const;

/**
 * `<state-dir>/update/`: the trust stored on first use, the highest security version ever installed,
 * the TUF metadata tuf-js trusts, and the scratch directories (docs/reference/agent.md "Update state").
 * Every file that carries trust is written durably (durable-files.ts); scratch is rebuilt per run.
 */
export class UpdateStore {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'update');
  }

  /** The metadata tuf-js has verified, kept durably between runs (rollback protection, TUF 5.4.3). */
  get tufDir(): string {
    return join(this.dir, 'tuf');
  }
  /** tuf-js's own metadata directory: it writes with writeFileSync, so it works on a copy. */
  get tufWorkDir(): string {
    return join(this.dir, 'tuf-work');
  }
  get stagingDir(): string {
    return join(this.dir, 'staging');
  }

  async prepare(): Promise<void> {
    await makeDirectoryDurably(this.dir);
    await makeDirectoryDurably(this.tufDir);
  }

  /** Scratch from a killed run: tuf-js's working copy, half-downloaded targets, temporary files. */
  async removeScratch(): Promise<void> {
    await rm(this.tufWorkDir, { recursive: true, force: true });
    await rm(this.stagingDir, { recursive: true, force: true });
    for (const dir of [this.dir, this.tufDir])
      for (const name of await readdir(dir).catch(() => [] as string[]))
        if (isTemporaryName(name)) await rm(join(dir, name), { force: true });
  }

  async readTrust(): Promise<UpdateTrust | undefined> {
    const text = await readOptional(join(this.dir, 'trust.json'));
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as UpdateTrust;
    } catch (e) {
      throw stateError(`${this.dir}/trust.json does not parse`, e);
    }
  }

  /**
   * Trust on first use: one atomic write of everything (repository, root, manifest keys), then the
   * root seeds tuf/root.json. A kill before the rename leaves no trust (fetched again next run);
   * after it, the whole trust. Never overwritten afterwards.
   */
  async storeTrustOnce(trust: UpdateTrust): Promise<void> {
    if ((await this.readTrust()) !== undefined) throw stateError(`${this.dir}/trust.json exists: trust is stored once`);
    await writeFileDurably(join(this.dir, 'trust.json'), `${JSON.stringify(trust, null, 2)}\n`, PUBLIC_FILE_MODE);
  }

  /** tuf/root.json from the stored trust when tuf-js has none yet (first use, or a kill right after it). */
  async seedTrustedRoot(trust: UpdateTrust): Promise<void> {
    if ((await readOptional(join(this.tufDir, 'root.json'))) !== undefined) return;
    await writeFileDurably(join(this.tufDir, 'root.json'), JSON.stringify(trust.root), PUBLIC_FILE_MODE);
  }

  /** A fresh working copy of the trusted metadata for tuf-js. */
  async copyTrustedMetadataToWork(): Promise<void> {
    await rm(this.tufWorkDir, { recursive: true, force: true });
    await makeDirectoryDurably(this.tufWorkDir);
    for (const name of TUF_METADATA_FILES)
      await copyFile(join(this.tufDir, name), join(this.tufWorkDir, name)).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
  }

  /** After a successful refresh: what tuf-js verified becomes the trusted metadata, file by file, atomically. */
  async persistVerifiedMetadata(): Promise<void> {
    for (const name of TUF_METADATA_FILES) {
      const bytes = await readOptional(join(this.tufWorkDir, name));
      if (bytes !== undefined && bytes !== (await readOptional(join(this.tufDir, name))))
        await writeFileDurably(join(this.tufDir, name), bytes, PUBLIC_FILE_MODE);
    }
  }

  /** The highest security version ever installed (0 before the first install). */
  async highestSecurityVersion(): Promise<number> {
    const text = await readOptional(join(this.dir, 'security-version.json'));
    if (text === undefined) return 0;
    const v = (JSON.parse(text) as { highestSecurityVersion?: unknown }).highestSecurityVersion;
    if (!Number.isSafeInteger(v) || (v as number) < 0)
      throw stateError(`${this.dir}/security-version.json is malformed`);
    return v as number;
  }

  /** Only ever rises: a lower value is ignored (anti-rollback). */
  async raiseSecurityVersion(to: number): Promise<number> {
    const now = await this.highestSecurityVersion();
    if (to <= now) return now;
    const body = `${JSON.stringify({ highestSecurityVersion: to }, null, 2)}\n`;
    await writeFileDurably(join(this.dir, 'security-version.json'), body, PUBLIC_FILE_MODE);
    return to;
  }

  async clearStaging(): Promise<void> {
    await removeTreeDurably(this.stagingDir);
    await makeDirectoryDurably(this.stagingDir);
  }
}

export async function readOptional(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
}
