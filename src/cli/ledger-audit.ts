import { TrustplaneError } from '../core/errors.ts';
import type { Checkpoint } from '../ledger/checkpoint.ts';
import { appendLeafHashes, emptyFrontier, frontierRoot } from '../ledger/compact-range.ts';
import { leafHash } from '../ledger/merkle.ts';
import { verifyConsistency } from '../ledger/merkle-verify.ts';

/**
 * `trustplane ledger verify` over HTTP: the client-side counterpart of src/ledger/ledger-verify.ts,
 * which reads the store directly. Trust comes only from signed checkpoints; the server's entries
 * are re-hashed here (its `leafHash` is not used) and its proofs are only ever checked, never believed.
 */

export interface LedgerSourceEntry {
  readonly index: number;
  /** The exact text the log hashed. */
  readonly leaf: string;
}

/** What the audit needs from the server (commands/ledger.ts gives the HTTP one; tests a fake). */
export interface LedgerSource {
  /** Entries [start, end); may answer fewer than asked (a page), never more. */
  entries(start: number, end: number): Promise<readonly LedgerSourceEntry[]>;
  consistencyProof(from: number, to: number): Promise<Uint8Array[]>;
}

export interface AuditFailure {
  readonly message: string;
  /** The first entry that does not match, when one can be named. */
  readonly seq?: number;
}

export interface AuditResult {
  readonly entriesChecked: number;
  /** Signed checkpoints whose root the entries reproduce (the log's kept ones, yours, the newest). */
  readonly checkpointsChecked?: number;
  readonly failure?: AuditFailure;
}

export interface AuditOptions {
  /** The log's newest checkpoint, its signature already checked. */
  readonly latest: Checkpoint;
  /** An older checkpoint the auditor kept (`--from-checkpoint`), its signature already checked. */
  readonly trusted?: Checkpoint;
  /** Every other checkpoint the log kept, signatures already checked: the entries must give each. */
  readonly stored?: readonly Checkpoint[];
  readonly onProgress?: (entries: number, of: number) => void;
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(b);

function prefixRoot(hashes: readonly Uint8Array[], size: number): Uint8Array {
  return frontierRoot(appendLeafHashes(emptyFrontier, hashes.slice(0, size)).frontier);
}

/** The roots of the trees of every size in `sizes`, in one pass over the leaf hashes. */
function prefixRoots(hashes: readonly Uint8Array[], sizes: readonly number[]): Map<number, Uint8Array> {
  const roots = new Map<number, Uint8Array>();
  let frontier = emptyFrontier;
  for (const size of [...new Set(sizes)].sort((a, b) => a - b)) {
    frontier = appendLeafHashes(frontier, hashes.slice(frontier.size, size)).frontier;
    roots.set(size, frontierRoot(frontier));
  }
  return roots;
}

export async function auditLedger(source: LedgerSource, options: AuditOptions): Promise<AuditResult> {
  const { latest, trusted } = options;
  if (trusted !== undefined && trusted.size > latest.size)
    return {
      entriesChecked: 0,
      failure: {
        message: `the log's newest checkpoint (size ${latest.size}) is smaller than your checkpoint (size ${trusted.size}): the log was truncated`,
      },
    };
  // 1. Every entry up to the newest checkpoint, re-hashed from its text.
  const hashes: Uint8Array[] = [];
  while (hashes.length < latest.size) {
    const start = hashes.length;
    const page = await source.entries(start, Math.min(start + 1000, latest.size));
    if (page.length === 0)
      return { entriesChecked: start, failure: { message: `entry ${start} is missing from the log`, seq: start } };
    for (const item of page) {
      const expected = hashes.length;
      if (item.index !== expected)
        return {
          entriesChecked: expected,
          failure: { message: `entry ${expected} is missing (the server answered entry ${item.index})`, seq: expected },
        };
      hashes.push(leafHash(Buffer.from(item.leaf, 'utf8')));
      if (hashes.length === latest.size) break;
    }
    options.onProgress?.(hashes.length, latest.size);
  }
  const checked = hashes.length;
  // 2. The recomputed roots against the signed ones — the auditor's own checkpoint first (it is
  // older), then every checkpoint the log kept, smallest first, then the newest.
  const kept = (options.stored ?? []).filter((c) => c.size <= latest.size).sort((a, b) => a.size - b.size);
  const targets = [...(trusted === undefined ? [] : [trusted]), ...kept, latest];
  const roots = prefixRoots(hashes, targets.map((t) => t.size));
  for (const target of targets) {
    const which = target === trusted ? 'your checkpoint' : "the log's signed checkpoint";
    if (same(roots.get(target.size)!, target.rootHash)) continue;
    const seq = await firstMismatch(source, hashes, target);
    return {
      entriesChecked: checked,
      failure: {
        message: `entry ${seq} does not match ${which} at size ${target.size}: the entries before it give the signed tree, the entry as served now does not`,
        seq,
      },
    };
  }
  // 3. The server must prove the newest tree extends the auditor's (the roots match, so an honest log can).
  if (trusted !== undefined) {
    try {
      const proof = await source.consistencyProof(trusted.size, latest.size);
      verifyConsistency(trusted.size, latest.size, proof, trusted.rootHash, latest.rootHash);
    } catch (e) {
      if (!(e instanceof TrustplaneError)) throw e;
      return {
        entriesChecked: checked,
        failure: {
          message: `the consistency proof from size ${trusted.size} to ${latest.size} does not verify: ${e.message}`,
        },
      };
    }
  }
  return { entriesChecked: checked, checkpointsChecked: targets.length };
}

/**
 * The recomputed tree of `target.size` misses the signed root: the first bad entry is found by
 * bisection on prefixes. A prefix of size k is good when the server's consistency proof leads from
 * the entries' root at k to the signed root (collision resistance: only the genuine prefix root can);
 * prefix 0 is always good, the whole tree is known bad.
 */
async function firstMismatch(source: LedgerSource, hashes: readonly Uint8Array[], target: Checkpoint): Promise<number> {
  let good = 0;
  let bad = target.size;
  while (bad - good > 1) {
    const mid = good + Math.floor((bad - good) / 2);
    if (await prefixHolds(source, hashes, mid, target)) good = mid;
    else bad = mid;
  }
  return bad - 1;
}

async function prefixHolds(
  source: LedgerSource,
  hashes: readonly Uint8Array[],
  size: number,
  target: Checkpoint,
): Promise<boolean> {
  const proof = await source.consistencyProof(size, target.size);
  try {
    verifyConsistency(size, target.size, proof, prefixRoot(hashes, size), target.rootHash);
    return true;
  } catch (e) {
    if (e instanceof TrustplaneError) return false;
    throw e;
  }
}
