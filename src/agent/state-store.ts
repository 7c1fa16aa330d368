import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { stateError, usageError } from './agent-error.ts';
import {
  isTemporaryName,
  readCurrentLink,
  makeDirectoryDurably,
  removeTreeDurably,
  switchSymlinkDurably,
  writeFileDurably,
} from './durable-files.ts';

/** `<state-dir>/agent.json` (docs/design/enrollment.md "Device agent"). */
export interface AgentConfig {
  /** The EST server, `https://host:port`. */
  readonly server: string;
  readonly product: string;
  readonly serial: string;
  /** Absolute path of the PEM file that anchors the EST server's TLS certificate. */
  readonly caBundle: string;
  /** The device's hardware revision, checked against boot manifests; set once (enroll or first update). */
  readonly hardwareRevision?: string;
}

/** A hardware revision as boot manifests list it: visible ASCII, 1–64 characters. */
export const hardwareRevisionPattern = /^[!-~]{1,64}$/;

/** What is on disk in `ids/<n>`; a file not (yet) written is undefined. */
export interface StoredIdentity {
  readonly index: number;
  readonly keyPem: string | undefined;
  readonly certPem: string | undefined;
  readonly chainPem: string | undefined;
}

/** Which identities exist, seen from `current`. */
export interface StateLayout {
  readonly current: number | undefined;
  /** Above `current`: a renewal cut short before the switch (docs/design/enrollment.md steps 2–4). */
  readonly unfinished: readonly number[];
  /** Below `current`: the previous identity a renewal cut short before removing it (step 6). */
  readonly stale: readonly number[];
}

export const KEY_FILE_MODE = 0o600;
const PUBLIC_FILE_MODE = 0o644;

/**
 * The agent's state directory: agent.json, `current -> ids/<n>`, and `ids/<n>/{key,cert,chain}.pem`.
 * Every write is durable (durable-files.ts); `current` switches by rename(2), so a kill at any
 * instant leaves it naming a whole identity.
 */
export class StateStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  identityDir(index: number): string {
    return join(this.dir, 'ids', String(index));
  }

  async initialise(config: AgentConfig): Promise<void> {
    await makeDirectoryDurably(this.dir);
    await makeDirectoryDurably(join(this.dir, 'ids'));
    await this.#writeConfig(config);
  }

  /**
   * The device's hardware revision, remembered in agent.json: given once (at enroll, or the first
   * update that names it), then every update checks manifests against it. A different one later is
   * refused: a board does not change its revision, a mistyped flag must not open it to another's.
   */
  async hardwareRevision(given: string | undefined): Promise<string | undefined> {
    const config = await this.readConfig();
    if (given !== undefined && !hardwareRevisionPattern.test(given)) throw usageError('--hardware-revision: 1 to 64 visible ASCII characters');
    if (config.hardwareRevision === undefined) {
      if (given !== undefined) await this.#writeConfig({ ...config, hardwareRevision: given });
      return given;
    }
    if (given !== undefined && given !== config.hardwareRevision)
      throw stateError(`this device is hardware revision ${config.hardwareRevision} (agent.json), not ${given}`);
    return config.hardwareRevision;
  }

  async #writeConfig(config: AgentConfig): Promise<void> {
    await writeFileDurably(join(this.dir, 'agent.json'), `${JSON.stringify(config, null, 2)}\n`, PUBLIC_FILE_MODE);
  }

  async readConfig(): Promise<AgentConfig> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(join(this.dir, 'agent.json'), 'utf8'));
    } catch (cause) {
      throw stateError(`${this.dir} holds no readable agent.json: enroll first`, cause);
    }
    const c = parsed as Record<string, unknown>;
    for (const field of ['server', 'product', 'serial', 'caBundle'] as const)
      if (typeof c[field] !== 'string' || c[field] === '') throw stateError(`agent.json: "${field}" is missing`);
    if (c.hardwareRevision !== undefined && (typeof c.hardwareRevision !== 'string' || !hardwareRevisionPattern.test(c.hardwareRevision)))
      throw stateError('agent.json: "hardwareRevision" is malformed');
    return {
      server: c.server as string,
      product: c.product as string,
      serial: c.serial as string,
      caBundle: c.caBundle as string,
      ...(typeof c.hardwareRevision === 'string' ? { hardwareRevision: c.hardwareRevision } : {}),
    };
  }

  async layout(): Promise<StateLayout> {
    const current = await this.#currentIndex();
    const indices = await this.#identityIndices();
    return {
      current,
      unfinished: indices.filter((n) => current === undefined || n > current),
      stale: indices.filter((n) => current !== undefined && n < current),
    };
  }

  async readIdentity(index: number): Promise<StoredIdentity> {
    const read = (name: string): Promise<string | undefined> =>
      readFile(join(this.identityDir(index), name), 'utf8').catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return undefined;
        throw e;
      });
    return { index, keyPem: await read('key.pem'), certPem: await read('cert.pem'), chainPem: await read('chain.pem') };
  }

  // Renewal step 2: the key is on disk (0600) before anything about it leaves the device.
  async writeKey(index: number, keyPem: string): Promise<void> {
    await makeDirectoryDurably(this.identityDir(index));
    await writeFileDurably(join(this.identityDir(index), 'key.pem'), keyPem, KEY_FILE_MODE);
  }

  async writeCertificate(index: number, certPem: string): Promise<void> {
    await writeFileDurably(join(this.identityDir(index), 'cert.pem'), certPem, PUBLIC_FILE_MODE);
  }

  async writeChain(index: number, chainPem: string): Promise<void> {
    await writeFileDurably(join(this.identityDir(index), 'chain.pem'), chainPem, PUBLIC_FILE_MODE);
  }

  // Renewal step 5: the one atomic switch.
  async switchCurrent(index: number): Promise<void> {
    await switchSymlinkDurably(join(this.dir, 'current'), join('ids', String(index)));
  }

  async removeIdentity(index: number): Promise<void> {
    await removeTreeDurably(this.identityDir(index));
  }

  /** Deletes temporary files a killed write left behind (never a finished file). */
  async removeTemporaryFiles(): Promise<void> {
    const dirs = [this.dir, ...(await this.#identityIndices()).map((n) => this.identityDir(n))];
    for (const dir of dirs) {
      for (const name of await readdir(dir).catch(() => [] as string[]))
        if (isTemporaryName(name)) await rm(join(dir, name), { force: true });
    }
  }

  async #currentIndex(): Promise<number | undefined> {
    const index = await readCurrentLink(this.dir, /^ids\/(\d{1,9})$/, 'ids/<n>');
    return index === undefined ? undefined : Number(index);
  }

  async #identityIndices(): Promise<number[]> {
    const names = await readdir(join(this.dir, 'ids')).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw e;
    });
    return names
      .filter((n) => /^\d{1,9}$/.test(n))
      .map(Number)
      .sort((a, b) => a - b);
  }
}
