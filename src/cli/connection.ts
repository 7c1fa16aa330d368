import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ApiClient } from './api-client.ts';
import { usageError } from './cli-error.ts';

export const defaultServerUrl = 'http://127.0.0.1:8443';
export const defaultHome = './.trustplane';

/** The program-level options every command may take (docs/reference/cli.md "Connection"). */
export interface GlobalOptions {
  readonly url?: string;
  readonly token?: string;
  readonly tokenFile?: string;
  readonly home?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

export function resolveHome(options: GlobalOptions, env: Env): string {
  return nonEmpty(options.home) ?? nonEmpty(env.TRUSTPLANE_HOME) ?? defaultHome;
}

export function resolveServerUrl(options: GlobalOptions, env: Env): string {
  const url = nonEmpty(options.url) ?? nonEmpty(env.TRUSTPLANE_URL) ?? defaultServerUrl;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError(`not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw usageError(`not an http(s) URL: ${url}`);
  return url;
}

/**
 * --token or --token-file, then TRUSTPLANE_TOKEN or TRUSTPLANE_TOKEN_FILE, then <home>/admin-token
 * (written by `serve` on first start). A flag wins over the environment; a value and a file at the
 * same level is a usage error rather than a silent choice. The secret itself is never printed.
 */
export async function resolveToken(options: GlobalOptions, env: Env): Promise<string> {
  const fromFlags = await tokenAtLevel(nonEmpty(options.token), nonEmpty(options.tokenFile), '--token', '--token-file');
  if (fromFlags !== undefined) return fromFlags;
  const fromEnv = await tokenAtLevel(
    nonEmpty(env.TRUSTPLANE_TOKEN),
    nonEmpty(env.TRUSTPLANE_TOKEN_FILE),
    'TRUSTPLANE_TOKEN',
    'TRUSTPLANE_TOKEN_FILE',
  );
  if (fromEnv !== undefined) return fromEnv;
  const file = join(resolveHome(options, env), 'admin-token');
  return readTokenFile(
    file,
    `no token: pass --token-file, set TRUSTPLANE_TOKEN_FILE or TRUSTPLANE_TOKEN, or run where ${file} is readable`,
  );
}

async function tokenAtLevel(
  value: string | undefined,
  file: string | undefined,
  valueName: string,
  fileName: string,
): Promise<string | undefined> {
  if (value !== undefined && file !== undefined) throw usageError(`give ${valueName} or ${fileName}, not both`);
  if (value !== undefined) return value;
  return file === undefined ? undefined : readTokenFile(file, `cannot read the token file ${file} (${fileName})`);
}

/** A token file holds the secret alone; surrounding whitespace (a trailing newline) is dropped. */
export async function readTokenFile(file: string, unreadable: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw usageError(unreadable, cause);
  }
  const token = text.trim();
  if (token === '') throw usageError(`no token: ${file} is empty`);
  return token;
}

/** The API client for a command, from its global options and the environment. */
export async function clientFor(command: Command, env: Env = process.env): Promise<ApiClient> {
  const options = command.optsWithGlobals<GlobalOptions>();
  const baseUrl = resolveServerUrl(options, env);
  return new ApiClient({ baseUrl, token: await resolveToken(options, env) });
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === '' ? undefined : s.trim();
}
