import { TrustplaneError } from '../core/errors.ts';
import { verifyCheckpoint, type Checkpoint } from '../ledger/checkpoint.ts';
import { leafHash } from '../ledger/merkle.ts';
import { verifyInclusion } from '../ledger/merkle-verify.ts';
import { parseVerifierKey } from '../ledger/note-key.ts';
import { decodeBase64Strict } from '../ledger/strict-base64.ts';
import { CliError, isRecord, usageError } from './cli-error.ts';

/**
 * The offline proof bundle of `trustplane ledger prove` / `check-proof`. The tree size and root
 * come only from the signed checkpoint: an inclusion proof does not pin the size by itself, so a
 * separate size field would be one more thing to trust.
 */
export interface ProofBundle {
  readonly version: 1;
  /** `leaf` is the exact text that was hashed (the event's RFC 8785 canonical JSON). */
  readonly entry: { readonly index: number; readonly leaf: string };
  readonly inclusionProof: readonly string[];
  /** The signed note (c2sp.org/tlog-checkpoint). */
  readonly checkpoint: string;
  /** `<origin>+<key id>+<key>`. */
  readonly verifierKey: string;
}

export interface BundleCheck {
  readonly index: number;
  readonly checkpoint: Checkpoint;
}

/** Reads the bundle's shape; a file that is not a bundle at all is a usage error (exit 1). */
export function parseBundle(text: string): ProofBundle {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw usageError('the proof bundle is not JSON', cause);
  }
  const bad = (why: string): never => {
    throw usageError(`not a proof bundle: ${why}`);
  };
  if (!isRecord(value)) return bad('not a JSON object');
  if (value.version !== 1) return bad('version is not 1');
  const entry = value.entry;
  if (!isRecord(entry)) return bad('no entry');
  if (typeof entry.index !== 'number' || !Number.isSafeInteger(entry.index) || entry.index < 0)
    return bad('entry.index is not a non-negative integer');
  if (typeof entry.leaf !== 'string') return bad('entry.leaf is not a string');
  const proof = value.inclusionProof;
  if (!Array.isArray(proof) || !proof.every((h): h is string => typeof h === 'string'))
    return bad('inclusionProof is not a list of base64 strings');
  if (typeof value.checkpoint !== 'string') return bad('checkpoint is not a string');
  if (typeof value.verifierKey !== 'string') return bad('verifierKey is not a string');
  return {
    version: 1,
    entry: { index: entry.index, leaf: entry.leaf },
    inclusionProof: proof,
    checkpoint: value.checkpoint,
    verifierKey: value.verifierKey,
  };
}

const refused = (message: string, cause?: unknown): CliError =>
  new CliError('refused', message, cause === undefined ? undefined : { cause });

/**
 * Verifies a bundle with no server: the checkpoint's signature by `verifierKey` (the log's name is
 * the key's name), the leaf's hash, and the inclusion proof to the signed root at the signed size.
 * Any failure is a CliError of kind `refused` (exit 2) saying why.
 */
export function checkBundle(bundle: ProofBundle, verifierKey: string): BundleCheck {
  try {
    const key = parseVerifierKey(verifierKey);
    const checkpoint = verifyCheckpoint(bundle.checkpoint, key, key.name);
    const proof = bundle.inclusionProof.map((h, i) => {
      const bytes = decodeBase64Strict(h);
      if (bytes === undefined) throw refused(`proof hash ${i} is not base64`);
      return bytes;
    });
    const index = bundle.entry.index;
    const leaf = Buffer.from(bundle.entry.leaf, 'utf8');
    verifyInclusion(leafHash(leaf), index, checkpoint.size, proof, checkpoint.rootHash);
    // The proof holds; the leaf must also say it is the event at that index.
    const seq = seqOf(bundle.entry.leaf);
    if (seq !== index) throw refused(`the leaf at index ${index} is event ${String(seq)}`);
    return { index, checkpoint };
  } catch (e) {
    if (e instanceof TrustplaneError) throw refused(`${e.code}: ${e.message}`, e);
    throw e;
  }
}

function seqOf(leaf: string): unknown {
  try {
    const v: unknown = JSON.parse(leaf);
    return isRecord(v) ? v.seq : undefined;
  } catch {
    return undefined;
  }
}
