import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isTrustplaneError } from '../../core/errors.ts';
import { formatSshPublicKey, parseKrl, parseSshPublicKey, type ParsedKrl } from '../../ssh/index.ts';
import { AgentError, describeFailure } from '../agent-error.ts';
import { makeDirectoryDurably, writeFileDurably } from '../durable-files.ts';
import type { SshDeviceApi } from './device-ssh-api.ts';

/**
 * The files sshd trusts, in one directory (default /etc/ssh/trustplane), each replaced atomically
 * (durable-files.ts): a reader sees the old file or the whole new one. sshd reads all three at
 * every authentication, so a new one takes effect at the next login, without a reload.
 */
export const sshTrustFileNames = { userCaKeys: 'user_ca_keys', principals: 'principals', revokedKeys: 'revoked_keys' } as const;
export const DEFAULT_SSH_TRUST_DIR = '/etc/ssh/trustplane';
export const DEFAULT_KRL_REFRESH_SECONDS = 300;
const FILE_MODE = 0o644;

export type TrustFileOutcome = { readonly status: 'written' | 'unchanged' } | { readonly status: 'kept'; readonly error: AgentError };

export interface SshTrustSync {
  readonly krl: TrustFileOutcome;
  readonly config: TrustFileOutcome;
  /** The server's refresh interval, when its config answered. */
  readonly krlRefreshSeconds: number | undefined;
}

export interface SshTrustOptions {
  readonly api: SshDeviceApi;
  readonly dir: string;
  readonly product: string;
  readonly serial: string;
  readonly log: (line: string) => void;
}

function rejected(code: string, message: string, cause?: unknown): AgentError {
  return new AgentError('rejected', code, message, cause === undefined ? {} : { cause });
}

/**
 * One refresh: the KRL first (a revocation should never wait for anything else), then the CA keys
 * and principals. Each part that fails — no answer, a refusal, an answer that does not check —
 * leaves its files as they were: never an empty or unparsable KRL over a good one, never an older
 * KRL over a newer one (DESIGN rule 7: an ended grant stays ended).
 */
export async function syncSshTrust(o: SshTrustOptions): Promise<SshTrustSync> {
  await makeDirectoryDurably(o.dir, 0o755);
  const krl = await attempt(o, 'KRL', () => syncKrl(o));
  let krlRefreshSeconds: number | undefined;
  const config = await attempt(o, 'CA keys and principals', async () => {
    const answer = await o.api.config();
    krlRefreshSeconds = answer.krlRefreshSeconds;
    return writeConfig(o, answer.userCaKeys, answer.principals);
  });
  return { krl, config, krlRefreshSeconds };
}

async function attempt(o: SshTrustOptions, what: string, run: () => Promise<'written' | 'unchanged'>): Promise<TrustFileOutcome> {
  try {
    const status = await run();
    if (status === 'written') o.log(`ssh: ${what} updated in ${o.dir}`);
    return { status };
  } catch (e) {
    const error = e instanceof AgentError ? e : new AgentError('state', 'STATE_INVALID', describeFailure(e).line, { cause: e });
    o.log(`ssh: ${what} not updated, the previous files stay: ${describeFailure(error).line}`);
    return { status: 'kept', error };
  }
}

async function syncKrl(o: SshTrustOptions): Promise<'written' | 'unchanged'> {
  const bytes = await o.api.krl();
  let next: ParsedKrl;
  try {
    next = parseKrl(bytes);
  } catch (e) {
    throw rejected('SSH_KRL_MALFORMED', `the KRL the server sent does not parse (${bytes.length} bytes)`, e);
  }
  const path = join(o.dir, sshTrustFileNames.revokedKeys);
  const held = await readFile(path).catch(() => undefined);
  if (held?.equals(bytes)) return 'unchanged';
  const current = held === undefined ? undefined : tryParseKrl(held);
  // PROTOCOL.krl §1: krl_version increases with every change. A lower one is a replay or a rollback.
  if (current && next.version < current.version)
    throw rejected('SSH_KRL_ROLLBACK', `the server's KRL is version ${next.version}, older than the ${current.version} this device holds`);
  await writeFileDurably(path, bytes, FILE_MODE);
  return 'written';
}

function tryParseKrl(bytes: Buffer): ParsedKrl | undefined {
  try {
    return parseKrl(bytes);
  } catch {
    return undefined;
  }
}

/** A principal as one line of an AuthorizedPrincipalsFile: no blanks, no control characters, not a comment. */
const principalPattern = /^[^\s\p{Cc}#][^\s\p{Cc}]*$/u;

async function writeConfig(o: SshTrustOptions, userCaKeys: readonly string[], principals: readonly string[]): Promise<'written' | 'unchanged'> {
  const caLines = userCaKeys.map((line) => {
    try {
      return parseSshPublicKey(line);
    } catch (e) {
      if (isTrustplaneError(e)) throw rejected('SSH_CONFIG_INVALID', `a user CA key the server sent is not a public key (${e.code})`, e);
      throw e;
    }
  });
  const own = `device:${o.product}:${o.serial}`;
  if (!principals.every((p) => principalPattern.test(p))) throw rejected('SSH_CONFIG_INVALID', 'a principal the server sent is not one line of a principals file');
  // The answer must be this device's: its own principal first (contract), never another device's.
  if (principals[0] !== own) throw rejected('SSH_CONFIG_INVALID', `the principals do not begin with this device's own, ${own}`);
  const written = await Promise.all([
    replaceIfChanged(join(o.dir, sshTrustFileNames.userCaKeys), caLines.map((k) => `${formatSshPublicKey(k)}\n`).join('')),
    replaceIfChanged(join(o.dir, sshTrustFileNames.principals), principals.map((p) => `${p}\n`).join('')),
  ]);
  return written.includes(true) ? 'written' : 'unchanged';
}

async function replaceIfChanged(path: string, text: string): Promise<boolean> {
  if ((await readFile(path, 'utf8').catch(() => undefined)) === text) return false;
  await writeFileDurably(path, text, FILE_MODE);
  return true;
}
