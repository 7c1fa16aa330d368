import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { TrustplaneError } from '../../core/errors.ts';
import { verifyCheckpoint, type Checkpoint } from '../../ledger/checkpoint.ts';
import { parseVerifierKey, type NoteVerifierKey } from '../../ledger/note-key.ts';
import { decodeBase64Strict } from '../../ledger/strict-base64.ts';
import type { ApiClient } from '../api-client.ts';
import { CliError, isRecord, usageError } from '../cli-error.ts';
import { clientFor } from '../connection.ts';
import { readInputFile } from '../files.ts';
import { auditLedger, type LedgerSource, type LedgerSourceEntry } from '../ledger-audit.ts';
import { checkBundle, parseBundle, type ProofBundle } from '../ledger-bundle.ts';
import { inform, print, printJson } from '../output.ts';

/** GET /v1/ledger/checkpoint. */
interface CheckpointAnswer {
  readonly treeSize: number;
  readonly rootHash: string;
  readonly checkpoint: string;
  readonly verifierKey: string;
}

const keyFromBundleWarning =
  'warning: the verifier key is the one inside the bundle: this only shows the bundle is self-consistent; pass --verifier-key with the log key you trust';
const keyFromServerWarning =
  "warning: the verifier key comes from the server: this only shows the log agrees with itself; pass --verifier-key with the log's key you trust";

function refused(message: string, cause?: unknown): CliError {
  return new CliError('refused', message, cause === undefined ? undefined : { cause });
}

/** A ledger-library failure (bad signature, bad proof, malformed note) is a refusal: exit 2. */
function asRefusal(e: unknown, what: string): never {
  if (e instanceof TrustplaneError) throw refused(`${what}: ${e.code}: ${e.message}`, e);
  throw e;
}

function parseKeyOption(vkey: string): NoteVerifierKey {
  try {
    return parseVerifierKey(vkey);
  } catch (e) {
    if (e instanceof TrustplaneError) throw usageError(`--verifier-key: ${e.message}`, e);
    throw e;
  }
}

/** The log's newest checkpoint with its signature checked, and which key checked it. */
async function latestCheckpoint(
  client: ApiClient,
  keyOption: string | undefined,
): Promise<{ answer: CheckpointAnswer; key: NoteVerifierKey; checkpoint: Checkpoint }> {
  const answer = await client.getJson<CheckpointAnswer>('/v1/ledger/checkpoint');
  if (!isRecord(answer) || typeof answer.checkpoint !== 'string' || typeof answer.verifierKey !== 'string')
    throw refused('the server answered no signed checkpoint');
  let key: NoteVerifierKey;
  if (keyOption !== undefined) key = parseKeyOption(keyOption);
  else {
    try {
      key = parseVerifierKey(answer.verifierKey);
    } catch (e) {
      asRefusal(e, "the server's verifier key");
    }
  }
  let checkpoint: Checkpoint;
  try {
    checkpoint = verifyCheckpoint(answer.checkpoint, key, key.name);
  } catch (e) {
    asRefusal(e, "the log's checkpoint");
  }
  return { answer, key, checkpoint };
}

function decodeHashes(hashes: unknown, what: string): Uint8Array[] {
  if (!Array.isArray(hashes)) throw refused(`the server's ${what} is not a list of hashes`);
  return hashes.map((h) => {
    const bytes = typeof h === 'string' ? decodeBase64Strict(h) : undefined;
    if (bytes === undefined) throw refused(`the server's ${what} holds a hash that is not base64`);
    return bytes;
  });
}

async function entriesPage(client: ApiClient, start: number, end: number): Promise<LedgerSourceEntry[]> {
  const page = await client.getJson<{ items?: unknown }>(`/v1/ledger/entries?start=${start}&end=${end}`);
  if (!isRecord(page) || !Array.isArray(page.items)) throw refused('the server answered no entries list');
  return page.items.map((item): LedgerSourceEntry => {
    if (!isRecord(item) || typeof item.index !== 'number' || typeof item.leaf !== 'string')
      throw refused('the server answered an entry without index and leaf');
    return { index: item.index, leaf: item.leaf };
  });
}

/** Every checkpoint the log kept (paged), each signature checked with the key: a bad one is a refusal. */
async function keptCheckpoints(client: ApiClient, key: NoteVerifierKey, upTo: number): Promise<Checkpoint[]> {
  const out: Checkpoint[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await client.getJson<{ items?: unknown; next?: unknown }>(`/v1/ledger/checkpoints?limit=1000${after === undefined ? '' : `&after=${after}`}`);
    if (!isRecord(page) || !Array.isArray(page.items)) throw refused('the server answered no checkpoint list');
    for (const item of page.items as unknown[]) {
      const note = isRecord(item) ? item.checkpoint : undefined;
      if (typeof note !== 'string') throw refused('the server answered a malformed checkpoint list');
      try {
        const cp = verifyCheckpoint(note, key, key.name);
        if (cp.size <= upTo) out.push(cp);
      } catch (e) {
        asRefusal(e, `a checkpoint the log kept (${JSON.stringify(isRecord(item) ? item.treeSize : '?')})`);
      }
    }
    if (typeof page.next !== 'string') return out;
    after = page.next;
  }
}

function httpSource(client: ApiClient): LedgerSource {
  return {
    entries: (start, end) => entriesPage(client, start, end),
    consistencyProof: async (from, to) => {
      const answer = await client.getJson<{ hashes?: unknown }>(`/v1/ledger/proof/consistency?from=${from}&to=${to}`);
      return decodeHashes(isRecord(answer) ? answer.hashes : undefined, 'consistency proof');
    },
  };
}

interface VerifyOptions {
  fromCheckpoint?: string;
  verifierKey?: string;
  json?: boolean;
}

interface ProveOptions {
  event: string;
  out: string;
  verifierKey?: string;
}

export function registerLedgerCommands(program: Command): void {
  const ledger = program
    .command('ledger')
    .description('audit the trust ledger and make or check offline proofs that an event is in it');

  ledger
    .command('verify')
    .description("recompute the log from its entries and check it against the log's signed checkpoint")
    .option('--from-checkpoint <file>', 'a signed checkpoint saved earlier: the log must still extend it')
    .option('--verifier-key <key>', "the log's verifier key <name>+<id>+<key> (default: the server's)")
    .option('--json', 'print the result as JSON')
    .action(async (o: VerifyOptions, cmd: Command) => {
      const client = await clientFor(cmd);
      const { key, checkpoint: latest, answer } = await latestCheckpoint(client, o.verifierKey);
      if (o.verifierKey === undefined) inform(keyFromServerWarning);
      if (answer.treeSize !== latest.size || answer.rootHash !== Buffer.from(latest.rootHash).toString('base64'))
        throw refused(
          `the server's treeSize/rootHash (${answer.treeSize}) are not those of its signed checkpoint (${latest.size})`,
        );
      let trusted: Checkpoint | undefined;
      if (o.fromCheckpoint !== undefined) {
        const note = await readInputFile(o.fromCheckpoint, 'checkpoint');
        try {
          trusted = verifyCheckpoint(note, key, key.name);
        } catch (e) {
          asRefusal(e, `${o.fromCheckpoint} is not a checkpoint signed by ${key.name}`);
        }
      }
      const stored = await keptCheckpoints(client, key, latest.size);
      const result = await auditLedger(httpSource(client), trusted === undefined ? { latest, stored } : { latest, trusted, stored });
      const summary = {
        ok: result.failure === undefined,
        origin: key.name,
        treeSize: latest.size,
        entriesChecked: result.entriesChecked,
        checkpointsChecked: result.checkpointsChecked ?? 0,
        verifierKeySource: o.verifierKey === undefined ? 'server' : 'option',
        ...(trusted === undefined ? {} : { fromCheckpointSize: trusted.size }),
        ...(result.failure === undefined ? {} : { failure: result.failure }),
      };
      if (o.json === true) printJson(summary);
      if (result.failure !== undefined) throw refused(result.failure.message);
      if (o.json !== true) {
        const prefix = trusted === undefined ? '' : `; it extends your checkpoint at size ${trusted.size}`;
        print(
          `OK: ${result.entriesChecked} entries of ${key.name} give every one of its ${stored.length} signed checkpoints, the newest at size ${latest.size}${prefix}`,
        );
      }
    });

  ledger
    .command('prove')
    .description('write a self-contained proof that an event is in the log (check it with check-proof)')
    .requiredOption('--event <seq>', 'the event sequence number (= its index in the log)')
    .requiredOption('--out <file>', 'where to write the bundle (JSON)')
    .option(
      '--verifier-key <key>',
      "check the server's checkpoint with this key before writing (and put it in the bundle)",
    )
    .action(async (o: ProveOptions, cmd: Command) => {
      if (!/^(?:0|[1-9][0-9]*)$/.test(o.event) || !Number.isSafeInteger(Number(o.event)))
        throw usageError(`--event: not an event number: ${o.event}`);
      const index = Number(o.event);
      const client = await clientFor(cmd);
      const { answer, key, checkpoint } = await latestCheckpoint(client, o.verifierKey);
      if (index >= checkpoint.size)
        throw refused(
          `event ${index} is not yet covered by a signed checkpoint (size ${checkpoint.size}); try again after the next one`,
        );
      const [entry] = await entriesPage(client, index, index + 1);
      if (entry?.index !== index) throw refused(`the server did not answer entry ${index}`);
      // The proof is asked at the SIGNED size: the bundle's size and root are the checkpoint's.
      const proofAnswer = await client.getJson<{ hashes?: unknown }>(
        `/v1/ledger/proof/inclusion?index=${index}&size=${checkpoint.size}`,
      );
      const hashes = isRecord(proofAnswer) ? proofAnswer.hashes : undefined;
      decodeHashes(hashes, 'inclusion proof');
      const bundle: ProofBundle = {
        version: 1,
        entry: { index, leaf: entry.leaf },
        inclusionProof: hashes as string[],
        checkpoint: answer.checkpoint,
        verifierKey: o.verifierKey ?? answer.verifierKey,
      };
      // Never hand out a bundle that does not check.
      checkBundle(bundle, o.verifierKey ?? answer.verifierKey);
      try {
        await writeFile(o.out, JSON.stringify(bundle, null, 2) + '\n');
      } catch (cause) {
        throw usageError(`cannot write ${o.out}: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
      }
      inform(`wrote ${o.out}: event ${index} in the log of ${key.name} at size ${checkpoint.size}`);
    });

  ledger
    .command('check-proof')
    .description('verify a proof bundle offline (no server, no database)')
    .argument('<bundle>', 'the bundle written by `ledger prove`')
    .option('--verifier-key <key>', "the log's verifier key you trust (default: the bundle's own)")
    .action(async (file: string, o: { verifierKey?: string }) => {
      const bundle = parseBundle(await readInputFile(file, 'proof bundle'));
      if (o.verifierKey !== undefined) parseKeyOption(o.verifierKey);
      else inform(keyFromBundleWarning);
      const { index, checkpoint } = checkBundle(bundle, o.verifierKey ?? bundle.verifierKey);
      print(`OK: event ${index} is in the log of ${checkpoint.origin} at size ${checkpoint.size}`);
    });
}

/**
 * The size of the log's newest signed checkpoint, for `device history` (an event is covered when
 * its seq is below it); undefined when the server has no ledger to ask (coverage is then unknown).
 * The signature is checked with the server's own key: this is a display, not an audit.
 */
export async function signedTreeSize(client: ApiClient): Promise<number | undefined> {
  let answer: CheckpointAnswer;
  try {
    answer = await client.getJson<CheckpointAnswer>('/v1/ledger/checkpoint');
  } catch (e) {
    if (e instanceof CliError && e.kind === 'refused') return undefined;
    throw e;
  }
  try {
    const key = parseVerifierKey(answer.verifierKey);
    return verifyCheckpoint(answer.checkpoint, key, key.name).size;
  } catch {
    return undefined;
  }
}
