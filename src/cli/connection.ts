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

/** --token, then TRUSTPLANE_TOKEN, then <home>/admin-token (written by `serve` on first start). */
export async function resolveToken(options: GlobalOptions, env: Env): Promise<string> {
  const given = nonEmpty(options.token) ?? nonEmpty(env.TRUSTPLANE_TOKEN);
  if (given !== undefined) return given;
  const file = join(resolveHome(options, env), 'admin-token');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw usageError(`no token: pass --token, set TRUSTPLANE_TOKEN, or run where ${file} is readable`, cause);
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
