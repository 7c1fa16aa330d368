import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError, stateError } from '../agent-error.ts';
import {
  makeDirectoryDurably,
  readCurrentLink,
  removeTreeDurably,
  switchSymlinkDurably,
  syncDirectory,
  writeFileDurably,
} from '../durable-files.ts';
import { readOptional } from './update-store.ts';
import type { SlotName, SlotRelease } from './update.types.ts';

/** What a staged image must be: its length and digests, from the verified manifest. */
export interface ExpectedImage {
  readonly length: number;
  readonly sha256: Uint8Array;
  readonly sha512: Uint8Array;
}

/**
 * The A/B slots: `update/slots/{a,b}/{image,manifest.cbor,release.json}` and `update/current -> slots/<x>`.
 * A slot is staged while it is inactive, release.json last; `current` switches by rename(2), so a
 * kill at any instant leaves it naming a whole, verified slot (or none before the first install).
 */
export class SlotStore {
  readonly dir: string;

  constructor(updateDir: string) {
    this.dir = updateDir;
  }

  slotDir(slot: SlotName): string {
    return join(this.dir, 'slots', slot);
  }

  async currentSlot(): Promise<SlotName | undefined> {
    return (await readCurrentLink(this.dir, /^slots\/([ab])$/, 'slots/a or slots/b')) as SlotName | undefined;
  }

  async inactiveSlot(): Promise<SlotName> {
    return (await this.currentSlot()) === 'a' ? 'b' : 'a';
  }

  /** The release in the current slot, or undefined before the first install. */
  async installed(): Promise<(SlotRelease & { slot: SlotName }) | undefined> {
    const slot = await this.currentSlot();
    if (slot === undefined) return undefined;
    const text = await readOptional(join(this.slotDir(slot), 'release.json'));
    if (text === undefined) throw stateError(`the current slot ${slot} has no release.json`);
    return { ...(JSON.parse(text) as SlotRelease), slot };
  }

  /** Empties the inactive slot before staging: a half-staged slot never keeps a release.json. */
  async emptySlot(slot: SlotName): Promise<void> {
    if ((await this.currentSlot()) === slot) throw stateError(`slot ${slot} is current: it is never staged over`);
    await makeDirectoryDurably(join(this.dir, 'slots'));
    await removeTreeDurably(this.slotDir(slot));
    await makeDirectoryDurably(this.slotDir(slot));
  }

  /**
   * Copies `source` into the slot's image, hashing the bytes as they are written: the slot holds
   * exactly the bytes whose length, SHA-256 and SHA-512 are the manifest's, or the copy is refused
   * (IMAGE_DIGEST_MISMATCH) and nothing is left under the final name.
   */
  async writeImage(slot: SlotName, source: string, expected: ExpectedImage): Promise<void> {
    const final = join(this.slotDir(slot), 'image');
    const tmp = `${final}.tmp-${process.pid}`;
    const out = await open(tmp, 'wx', 0o644);
    const sha256 = createHash('sha256');
    const sha512 = createHash('sha512');
    let length = 0;
    try {
      for await (const chunk of createReadStream(source) as AsyncIterable<Buffer>) {
        length += chunk.length;
        if (length > expected.length) break;
        sha256.update(chunk);
        sha512.update(chunk);
        await out.write(chunk);
      }
      await out.sync();
    } finally {
      await out.close();
    }
    const same =
      length === expected.length && sha256.digest().equals(expected.sha256) && sha512.digest().equals(expected.sha512);
    if (!same) {
      await removeTreeDurably(tmp);
      throw new AgentError(
        'rejected',
        'IMAGE_DIGEST_MISMATCH',
        'the downloaded image is not the one the manifest signs',
      );
    }
    await rename(tmp, final);
    await syncDirectory(this.slotDir(slot));
  }

  async writeManifest(slot: SlotName, manifest: Uint8Array): Promise<void> {
    await writeFileDurably(join(this.slotDir(slot), 'manifest.cbor'), manifest, 0o644);
  }

  /** Written last: it marks the slot complete. */
  async writeRelease(slot: SlotName, release: SlotRelease): Promise<void> {
    await writeFileDurably(join(this.slotDir(slot), 'release.json'), `${JSON.stringify(release, null, 2)}\n`, 0o644);
  }

  async switchCurrent(slot: SlotName): Promise<void> {
    await switchSymlinkDurably(join(this.dir, 'current'), join('slots', slot));
  }
}
