import type { Clock } from '../core/clock.ts';
import { TrustplaneError } from '../core/errors.ts';
import type { KeyStore, Signer } from '../crypto/signer.ts';
import { signCheckpoint } from './checkpoint.ts';
import { appendLeafHashes, frontierRoot, loadFrontier } from './compact-range.ts';
import { entryLeafHash } from './leaf.ts';
import type { LedgerIntegrationUnit, LedgerStore } from './ledger-store.types.ts';
import { isValidKeyName } from './note-key.ts';
import { withStoredNodes } from './stored-tree.ts';

export interface LedgerConfig {
  /** c2sp.org/tlog-checkpoint origin: the log's unique name, also its signed-note key name. */
  readonly origin: string;
  /** Events integrated per transaction (and per checkpoint while catching up). */
  readonly batchSize: number;
}

export const defaultLedgerConfig: LedgerConfig = Object.freeze({
  origin: 'trustplane.local/ledger',
  batchSize: 10_000,
});

export function ledgerConfig(overrides: Partial<LedgerConfig> = {}): LedgerConfig {
  const config = { ...defaultLedgerConfig, ...overrides };
  if (!isValidKeyName(config.origin))
    throw new TrustplaneError('INTERNAL', 'the ledger origin must be non-empty, without spaces or "+"');
  if (!Number.isSafeInteger(config.batchSize) || config.batchSize < 1)
    throw new TrustplaneError('INTERNAL', 'the ledger batch size must be a positive integer');
  return Object.freeze(config);
}

export interface IntegrationResult {
  readonly treeSize: number;
  /** Entries added to the tree by this call. */
  readonly integrated: number;
  /** Checkpoints signed by this call. */
  readonly checkpointsSigned: number;
}

/**
 * Integration, apart from sequencing (tessera): every unit of work has already written its events
 * with gap-free seq numbers; this reads those past the tree, appends their leaf hashes to the
 * frontier, stores the newly final subtrees, the new size and root, and signs a checkpoint — in one
 * transaction that first locks the state row, so several servers on one database build one tree.
 */
export class LedgerIntegrator {
  readonly #store: LedgerStore;
  readonly #keys: KeyStore;
  readonly #clock: Clock;
  readonly #config: LedgerConfig;
  #queue: Promise<unknown> = Promise.resolve();
  #signer: Promise<Signer> | undefined;

  constructor(store: LedgerStore, keys: KeyStore, clock: Clock, config: LedgerConfig) {
    this.#store = store;
    this.#keys = keys;
    this.#clock = clock;
    this.#config = config;
  }

  /** Integrates everything sequenced so far, one batch per transaction; calls in one process queue. */
  integrate(): Promise<IntegrationResult> {
    const run = this.#queue.then(() => this.#integrateAll());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The log's checkpoint key: generated once through the KeyStore port, its id kept in the ledger state. */
  signer(): Promise<Signer> {
    if (this.#signer === undefined) {
      const loading = this.#loadSigner();
      this.#signer = loading;
      loading.catch(() => {
        if (this.#signer === loading) this.#signer = undefined; // try again next time
      });
    }
    return this.#signer;
  }

  async #loadSigner(): Promise<Signer> {
    let state = await this.#store.state();
    if (state.keyId === null) {
      // Outside any transaction (the key store writes through its own connection). Two servers may both
      // generate; the first claim wins and the loser's key stays unused.
      const fresh = await this.#keys.generate('ed25519', 'ledger-checkpoint');
      state = await this.#store.claimIdentity(this.#config.origin, fresh.keyId);
      if (state.keyId === fresh.keyId) return fresh;
    }
    // Fail closed: a renamed log would sign tree heads its witnesses and auditors do not know.
    if (state.origin !== this.#config.origin)
      throw new TrustplaneError(
        'INTERNAL',
        `the ledger's origin is ${state.origin}; the configuration names ${this.#config.origin}`,
      );
    return this.#keys.signer(state.keyId!);
  }

  async #integrateAll(): Promise<IntegrationResult> {
    const signer = await this.signer();
    let integrated = 0;
    let checkpointsSigned = 0;
    for (;;) {
      const batch = await this.#store.integrationUnit((unit) => this.#integrateBatch(unit, signer));
      integrated += batch.integrated;
      checkpointsSigned += batch.checkpointsSigned;
      if (batch.integrated < this.#config.batchSize) return { treeSize: batch.treeSize, integrated, checkpointsSigned };
    }
  }

  async #integrateBatch(unit: LedgerIntegrationUnit, signer: Signer): Promise<IntegrationResult> {
    // Taken first and held until commit: a second integrator waits here, then sees the new size.
    const state = await unit.lockState();
    const size = state.treeSize;
    const entries = await unit.entries(size, size + this.#config.batchSize);
    // Events commit in seq order (event-writer.ts), so what is visible is a gap-free prefix; a hole is a lost row.
    entries.forEach((e, i) => {
      if (e.seq !== size + i)
        throw new TrustplaneError('LEDGER_INCONSISTENT', `event ${size + i} is missing from the events table`);
    });
    let root = state.rootHash;
    if (entries.length > 0) {
      const frontier = await withStoredNodes(
        (addresses) => unit.nodes(addresses),
        (getNode) => loadFrontier(size, getNode),
      );
      if (!Buffer.from(frontierRoot(frontier)).equals(root))
        throw new TrustplaneError(
          'LEDGER_INCONSISTENT',
          `the stored nodes do not give the stored root at size ${size}`,
        );
      const appended = appendLeafHashes(frontier, entries.map(entryLeafHash));
      await unit.insertNodes(appended.nodes);
      root = frontierRoot(appended.frontier);
      await unit.setTree(appended.frontier.size, root);
    }
    const treeSize = size + entries.length;
    // A checkpoint for every new size (and for the empty tree at the start); Ed25519 is deterministic,
    // so re-signing an unchanged tree would give the very same note.
    let checkpointsSigned = 0;
    if ((await unit.checkpoint(treeSize)) === undefined) {
      const note = await signCheckpoint(
        { origin: this.#config.origin, size: treeSize, rootHash: root, extensions: [] },
        signer,
      );
      await unit.insertCheckpoint({ treeSize, rootHash: root, note, signedAt: this.#clock.now() });
      checkpointsSigned = 1;
    }
    return { treeSize, integrated: entries.length, checkpointsSigned };
  }
}
