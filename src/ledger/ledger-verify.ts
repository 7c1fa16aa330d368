import { TrustplaneError } from '../core/errors.ts';
import { verifyCheckpoint } from './checkpoint.ts';
import { appendLeafHashes, emptyFrontier, frontierRoot, type Frontier, type TreeNode } from './compact-range.ts';
import { entryLeafHash } from './leaf.ts';
import type { LedgerReader, StoredCheckpoint } from './ledger-store.types.ts';
import { rootAt } from './merkle.ts';
import { parseVerifierKey, type NoteVerifierKey } from './note-key.ts';
import { firstStoredNodeMismatch, withStoredNodes } from './stored-tree.ts';

/**
 * `trustplane ledger verify`: recomputes the tree from the entries (streamed in chunks), checks each
 * entry's leaf against the stored tree, and every checkpoint — stored ones and any an auditor holds —
 * for its signature and its root at its size. Reports the FIRST problem in log order, naming the entry.
 */

export interface LedgerVerifyOptions {
  /** The log's verifier key and origin, as the auditor holds them: trust comes from outside the store. */
  readonly verifierKey: string | NoteVerifierKey;
  readonly origin: string;
  /** Signed checkpoints kept outside the store (`--from-checkpoint`): the entries must reproduce them too. */
  readonly trustedCheckpoints?: readonly string[];
  readonly chunkSize?: number;
}

export type LedgerFailureKind =
  | 'entry-missing' //       the events table has no row for this seq
  | 'entry-mismatch' //      the entry's leaf hash differs from the stored tree's
  | 'checkpoint-invalid' //  a stored checkpoint is not signed by the log's key, or not what its row says
  | 'checkpoint-mismatch' // the entries do not give a checkpoint's root at its size
  | 'tree-mismatch'; //      the stored tree (nodes, state) disagrees with the entries or a checkpoint

export interface LedgerFailure {
  readonly kind: LedgerFailureKind;
  readonly message: string;
  /** The first entry that does not match, when one can be named. */
  readonly seq?: number;
  readonly checkpointSize?: number;
}

export interface LedgerVerification {
  readonly ok: boolean;
  readonly treeSize: number;
  readonly entriesChecked: number;
  readonly checkpointsChecked: number;
  readonly failure?: LedgerFailure;
}

interface Candidate {
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly source: 'stored' | 'trusted';
  /** Why a stored checkpoint cannot be trusted; undefined for a good one. */
  readonly invalid: string | undefined;
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(b);
const checkpointPage = 1000;

/** A stored checkpoint must be signed by the log's key and be what its row says. */
function problem(row: StoredCheckpoint, key: NoteVerifierKey, origin: string): string | undefined {
  try {
    const cp = verifyCheckpoint(row.note, key, origin);
    return cp.size === row.treeSize && same(cp.rootHash, row.rootHash) ? undefined : 'the note does not match its row';
  } catch (e) {
    if (e instanceof TrustplaneError) return e.message;
    throw e;
  }
}

/** Stored checkpoints (paged, signatures checked) merged with the trusted ones, smallest size first. */
async function* checkpointsInOrder(
  store: LedgerReader,
  key: NoteVerifierKey,
  origin: string,
  trusted: Candidate[],
): AsyncGenerator<Candidate> {
  const pending = [...trusted].sort((a, b) => a.size - b.size);
  for (let after = -1; ;) {
    const page = await store.checkpoints(after, checkpointPage);
    for (const row of page) {
      while (pending.length > 0 && pending[0]!.size <= row.treeSize) yield pending.shift()!;
      yield { size: row.treeSize, rootHash: row.rootHash, source: 'stored', invalid: problem(row, key, origin) };
    }
    if (page.length < checkpointPage) break;
    after = page.at(-1)!.treeSize;
  }
  yield* pending;
}

export async function verifyLedger(store: LedgerReader, options: LedgerVerifyOptions): Promise<LedgerVerification> {
  const key = typeof options.verifierKey === 'string' ? parseVerifierKey(options.verifierKey) : options.verifierKey;
  const chunkSize = options.chunkSize ?? 10_000;
  // An auditor's own checkpoint must be genuine before it can accuse the log: a bad one throws.
  const trusted = (options.trustedCheckpoints ?? []).map((note): Candidate => {
    const cp = verifyCheckpoint(note, key, options.origin);
    return { size: cp.size, rootHash: cp.rootHash, source: 'trusted', invalid: undefined };
  });
  const state = await store.state();
  const treeSize = state.treeSize;
  const checkpoints = checkpointsInOrder(store, key, options.origin, trusted);
  const advance = async (): Promise<Candidate | undefined> => {
    const r = await checkpoints.next();
    return r.done === true ? undefined : r.value;
  };
  let next = await advance();
  let frontier: Frontier = emptyFrontier;
  let checked = 0;
  const result = (failure?: LedgerFailure): LedgerVerification => ({
    ok: failure === undefined,
    treeSize,
    entriesChecked: frontier.size,
    checkpointsChecked: checked,
    ...(failure === undefined ? {} : { failure }),
  });

  /** Checks every checkpoint at the current size against the recomputed and the stored tree. */
  const checkpointsHere = async (): Promise<LedgerFailure | undefined> => {
    for (; next !== undefined && next.size === frontier.size; next = await advance()) {
      const at = { checkpointSize: next.size };
      if (next.invalid !== undefined)
        return { kind: 'checkpoint-invalid', message: `checkpoint ${next.size}: ${next.invalid}`, ...at };
      if (!same(frontierRoot(frontier), next.rootHash))
        return {
          kind: 'checkpoint-mismatch',
          message: `the entries miss the ${next.source} checkpoint ${next.size}`,
          ...at,
        };
      const size = next.size;
      const stored = await withStoredNodes(
        (a) => store.nodes(a),
        (getNode) => rootAt(size, getNode),
      ).catch((e: unknown) => {
        if (e instanceof TrustplaneError && e.code === 'LEDGER_INCONSISTENT') return e; // a missing node
        throw e;
      });
      if (!(stored instanceof Uint8Array) || !same(stored, next.rootHash))
        return { kind: 'tree-mismatch', message: `the stored tree misses checkpoint ${size}`, ...at };
      checked++;
    }
    return undefined;
  };

  let failure = await checkpointsHere();
  while (failure === undefined && frontier.size < treeSize) {
    const start = frontier.size;
    const end = Math.min(start + chunkSize, treeSize);
    const [entries, leaves] = await Promise.all([store.entries(start, end), store.nodeRange(0, start, end)]);
    let pending: Uint8Array[] = [];
    const interior: TreeNode[] = []; // recomputed subtrees above the leaves, checked against the store below
    const flush = (): void => {
      const appended = appendLeafHashes(frontier, pending);
      frontier = appended.frontier;
      interior.push(...appended.nodes.filter((n) => n.level > 0));
      pending = [];
    };
    for (let seq = start, e = 0, l = 0; seq < end && failure === undefined; seq++) {
      const entry = entries[e]?.seq === seq ? entries[e++] : undefined;
      const stored = leaves[l]?.index === seq ? leaves[l++] : undefined;
      if (entry === undefined)
        failure = { kind: 'entry-missing', message: `entry ${seq} is missing from the events table`, seq };
      else {
        const hash = entryLeafHash(entry);
        if (stored === undefined)
          failure = { kind: 'tree-mismatch', message: `the stored tree has no leaf ${seq}`, seq };
        else if (!same(hash, stored.hash))
          failure = { kind: 'entry-mismatch', message: `entry ${seq} differs from the leaf in the tree`, seq };
        else {
          pending.push(hash);
          if (next?.size === seq + 1) {
            flush();
            failure = await checkpointsHere();
          }
        }
      }
    }
    flush();
    const node = failure ? undefined : await firstStoredNodeMismatch((...r) => store.nodeRange(...r), interior);
    if (node) {
      const seq = node.index * 2 ** node.level; // the subtree's first entry
      failure = { kind: 'tree-mismatch', message: `stored node ${node.level}/${node.index} is wrong`, seq };
    }
  }
  if (failure !== undefined) return result(failure);
  if (next !== undefined)
    return result({
      kind: 'tree-mismatch',
      message: `a checkpoint at size ${next.size} is beyond the stored tree (size ${treeSize})`,
      checkpointSize: next.size,
    });
  if (!same(frontierRoot(frontier), state.rootHash))
    return result({ kind: 'tree-mismatch', message: `the stored root at size ${treeSize} is not the entries' root` });
  return result();
}
