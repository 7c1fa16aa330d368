import type { Clock } from '../core/clock.ts';
import { TrustplaneError } from '../core/errors.ts';
import type { KeyStore } from '../crypto/signer.ts';
import { LedgerIntegrator, type IntegrationResult, type LedgerConfig } from './integrator.ts';
import type { LedgerEntry } from './leaf.ts';
import type { LedgerState, LedgerStore, StoredCheckpoint } from './ledger-store.types.ts';
import { verifyLedger, type LedgerVerification } from './ledger-verify.ts';
import { consistencyProof, inclusionProof } from './merkle.ts';
import { ed25519PublicKeyFromSpki, formatVerifierKey } from './note-key.ts';
import { withStoredNodes } from './stored-tree.ts';

/** Entries per read: a tlog-tiles entry bundle is 256; an API page may be a few of them. */
export const maxEntriesPerRead = 1000;

function outside(why: string): never {
  throw new TrustplaneError('LEDGER_RANGE_INVALID', why);
}

function checkInteger(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) outside(`${what} must be a non-negative integer`);
}

/**
 * The trust ledger as the server offers it: integration (integrator.ts) and the read side —
 * checkpoints, entries and proofs at any size up to the integrated one, each proof from O(log n)
 * stored subtree hashes read in one query (RFC 9162 §2.1.3, §2.1.4), never by recomputing the tree.
 */
export class Ledger {
  readonly config: LedgerConfig;
  readonly #store: LedgerStore;
  readonly #integrator: LedgerIntegrator;
  readonly #loops = new Set<() => Promise<void>>();

  constructor(store: LedgerStore, keys: KeyStore, clock: Clock, config: LedgerConfig) {
    this.config = config;
    this.#store = store;
    this.#integrator = new LedgerIntegrator(store, keys, clock, config);
  }

  integrate(): Promise<IntegrationResult> {
    return this.#integrator.integrate();
  }

  /**
   * Integrates every `intervalMs` (runs never overlap) until the returned function is called; that
   * function resolves once a run in progress has finished. Errors go to `onError`; the loop goes on.
   */
  startIntegrationLoop(intervalMs: number, onError: (error: unknown) => void): () => Promise<void> {
    if (!Number.isFinite(intervalMs) || intervalMs <= 0)
      throw new TrustplaneError('INTERNAL', 'the integration interval must be positive');
    let stopped = false;
    let running: Promise<void> = Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const schedule = (): void => {
      timer = setTimeout(() => {
        running = this.integrate()
          .then(() => undefined, onError)
          .finally(() => {
            if (!stopped) schedule();
          });
      }, intervalMs);
      timer.unref();
    };
    const stop = async (): Promise<void> => {
      stopped = true;
      clearTimeout(timer);
      this.#loops.delete(stop);
      await running;
    };
    this.#loops.add(stop);
    schedule();
    return stop;
  }

  state(): Promise<LedgerState> {
    return this.#store.state();
  }

  /** The newest signed checkpoint, or the one at `size`; undefined before the first integration. */
  async checkpoint(which: number | 'latest' = 'latest'): Promise<StoredCheckpoint | undefined> {
    if (which !== 'latest') checkInteger('size', which);
    return this.#store.checkpoint(which);
  }

  /** Every signed checkpoint kept (of size > `after`, if given), smallest first, at most `limit` (≤ 1000). */
  async checkpoints(after: number | undefined, limit: number): Promise<StoredCheckpoint[]> {
    if (after !== undefined) checkInteger('after', after);
    checkInteger('limit', limit);
    return this.#store.checkpoints(after ?? -1, Math.min(limit, maxEntriesPerRead));
  }

  /** Entries [start, end) of the integrated log, at most maxEntriesPerRead. */
  async entries(start: number, end: number): Promise<LedgerEntry[]> {
    checkInteger('start', start);
    checkInteger('end', end);
    if (start > end) outside('start is after end');
    if (end - start > maxEntriesPerRead) outside(`at most ${maxEntriesPerRead} entries at a time`);
    await this.#within('end', end);
    const entries = await this.#store.entries(start, end);
    if (entries.length !== end - start) {
      // Name the first entry that is not there (a deleted event row), as an auditor needs it.
      const missing = entries.findIndex((e, i) => e.seq !== start + i);
      const seq = missing === -1 ? start + entries.length : start + missing;
      throw new TrustplaneError('LEDGER_INCONSISTENT', `entry ${seq} is missing from the log's events`, { details: { seq } });
    }
    return entries;
  }

  /** RFC 9162 §2.1.3.1: the audit path of entry `index` in the tree of `size` (≤ the integrated size). */
  async inclusionProof(index: number, size: number): Promise<Uint8Array[]> {
    checkInteger('index', index);
    checkInteger('size', size);
    if (index >= size) outside(`entry ${index} is not in a tree of size ${size}`);
    await this.#within('size', size);
    return withStoredNodes(
      (a) => this.#store.nodes(a),
      (getNode) => inclusionProof(index, size, getNode),
    );
  }

  /** RFC 9162 §2.1.4.1: proof that the tree of `from` is a prefix of the tree of `to` (≤ the integrated size). */
  async consistencyProof(from: number, to: number): Promise<Uint8Array[]> {
    checkInteger('from', from);
    checkInteger('to', to);
    if (from > to) outside(`size ${from} is larger than size ${to}`);
    await this.#within('to', to);
    return withStoredNodes(
      (a) => this.#store.nodes(a),
      (getNode) => consistencyProof(from, to, getNode),
    );
  }

  /**
   * Hashes of the complete subtrees of 2^level leaves with index in [start, end), all inside the
   * integrated tree — what a tlog-tiles tile at level·8 serves (tiles.ts), read as one range.
   */
  async nodeHashes(level: number, start: number, end: number): Promise<Uint8Array[]> {
    checkInteger('level', level);
    checkInteger('start', start);
    checkInteger('end', end);
    if (level > 63 || start > end || end - start > maxEntriesPerRead)
      outside('at most 1000 nodes of one level 0…63 at a time');
    await this.#within('end', end * 2 ** level);
    const nodes = await this.#store.nodeRange(level, start, end);
    if (nodes.length !== end - start)
      throw new TrustplaneError('LEDGER_INCONSISTENT', `tree nodes ${level}/[${start}, ${end}) are missing`);
    return nodes.map((n) => n.hash);
  }

  /** The log's note verifier key, `<origin>+<key id>+<key>`, as tlog clients and witnesses are configured. */
  async verifierKey(): Promise<string> {
    const signer = await this.#integrator.signer();
    return formatVerifierKey(this.config.origin, ed25519PublicKeyFromSpki(signer.spki));
  }

  /** `ledger verify`: recomputes the tree from the entries against every checkpoint (ledger-verify.ts). */
  async verify(options: { trustedCheckpoints?: readonly string[] } = {}): Promise<LedgerVerification> {
    return verifyLedger(this.#store, { verifierKey: await this.verifierKey(), origin: this.config.origin, ...options });
  }

  /** Stops the integration loops (waiting for a run in progress). */
  async close(): Promise<void> {
    await Promise.all([...this.#loops].map((stop) => stop()));
  }

  async #within(what: string, size: number): Promise<void> {
    const { treeSize } = await this.#store.state();
    if (size > treeSize) outside(`${what} ${size} is beyond the integrated tree (size ${treeSize})`);
  }
}
