import { readFile } from 'node:fs/promises';
import { usageError } from '../agent-error.ts';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Where a secret may come from, strongest first. Never a commander default: `--help` prints
 * defaults, so a secret from the environment is resolved here, after parsing.
 */
export interface SecretSources {
  readonly value?: string | undefined;
  readonly file?: string | undefined;
  /** Names for messages, e.g. `--token` and `--token-file`. */
  readonly valueName: string;
  readonly fileName: string;
  /** Environment variables read when neither flag is given. */
  readonly env?: { readonly value: string; readonly file: string };
}

/** The secret, or undefined when no source gives one. A value and a file at one level is a usage error. */
export async function secretFrom(sources: SecretSources, env: Env = process.env): Promise<string | undefined> {
  const flags = await atLevel(sources.value, sources.file, sources.valueName, sources.fileName);
  if (flags !== undefined || sources.env === undefined) return flags;
  const { value, file } = sources.env;
  return atLevel(env[value], env[file], value, file);
}

async function atLevel(
  value: string | undefined,
  file: string | undefined,
  valueName: string,
  fileName: string,
): Promise<string | undefined> {
  const v = nonEmpty(value);
  const f = nonEmpty(file);
  if (v !== undefined && f !== undefined) throw usageError(`give ${valueName} or ${fileName}, not both`);
  if (v !== undefined) return v;
  if (f === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(f, 'utf8');
  } catch {
    throw usageError(`cannot read the token file ${f} (${fileName})`);
  }
  const secret = text.trim();
  if (secret === '') throw usageError(`${f} (${fileName}) is empty`);
  return secret;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === '' ? undefined : s.trim();
}
