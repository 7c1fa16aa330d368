import type { TreeNode } from './compact-range.ts';
import type { LedgerEntry } from './leaf.ts';

/**
 * The ledger's storage port (tessera's split: durable sequencing — the events table, written by
 * every unit of work — apart from integration — the Merkle tree built over it later, here).
 * store/ledger-repository.ts fulfils it for PGlite and PostgreSQL.
 */

/** A complete subtree's address: 2^level leaves from leaf index·2^level (tlog-tiles). */
export interface NodeAddress {
  readonly level: number;
  readonly index: number;
}

/** The integrated tree: leaves [0, treeSize) are final, their nodes stored, the root is MTH(D[treeSize]). */
export interface LedgerState {
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  /** The log's identity, fixed by the first integration (both null before it). */
  readonly origin: string | null;
  /** The KeyStore id of the log's Ed25519 checkpoint key. */
  readonly keyId: string | null;
}

/** A signed checkpoint as kept (c2sp.org/tlog-checkpoint in a c2sp.org/signed-note). */
export interface StoredCheckpoint {
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  readonly note: string;
  readonly signedAt: Date;
}

export interface LedgerReader {
  state(): Promise<LedgerState>;
  /** Those of `addresses` that are stored, in one query; absent nodes are left out. */
  nodes(addresses: readonly NodeAddress[]): Promise<TreeNode[]>;
  /** The stored nodes of one level with index in [start, end), in index order. */
  nodeRange(level: number, start: number, end: number): Promise<TreeNode[]>;
  /** The events with seq in [start, end), in seq order — whatever rows there are (gaps are the caller's to see). */
  entries(start: number, end: number): Promise<LedgerEntry[]>;
  checkpoint(size: number | 'latest'): Promise<StoredCheckpoint | undefined>;
  /** Checkpoints of size > afterSize, smallest first, at most `limit`. */
  checkpoints(afterSize: number, limit: number): Promise<StoredCheckpoint[]>;
}

/** One integration transaction; `lockState` comes first and holds the state row until commit. */
export interface LedgerIntegrationUnit {
  lockState(): Promise<LedgerState>;
  entries(start: number, end: number): Promise<LedgerEntry[]>;
  nodes(addresses: readonly NodeAddress[]): Promise<TreeNode[]>;
  /** New nodes only: a node already stored is an error (the state lock makes it impossible). */
  insertNodes(nodes: readonly TreeNode[]): Promise<void>;
  setTree(treeSize: number, rootHash: Uint8Array): Promise<void>;
  checkpoint(size: number): Promise<StoredCheckpoint | undefined>;
  insertCheckpoint(checkpoint: StoredCheckpoint): Promise<void>;
}

export interface LedgerStore extends LedgerReader {
  integrationUnit<T>(fn: (unit: LedgerIntegrationUnit) => Promise<T>): Promise<T>;
  /** Records the log's origin and key if none is recorded yet; returns the state (the first claim wins). */
  claimIdentity(origin: string, keyId: string): Promise<LedgerState>;
}
