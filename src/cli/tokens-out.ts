import { SecretFile } from './files.ts';

/**
 * Where a tokens CSV goes: a new 0600 file, or stdout only when the operator wrote `--out -`.
 * Opened before the server is asked, so a file that cannot be written costs no tokens.
 */
export interface TokensOut {
  readonly toStdout: boolean;
  /** For messages: the file, or "stdout". */
  readonly name: string;
  write(csv: string): Promise<void>;
  discard(): Promise<void>;
}

export async function openTokensOut(out: string, options: { force: boolean }): Promise<TokensOut> {
  if (out === '-') {
    return {
      toStdout: true,
      name: 'stdout',
      write: (csv) => new Promise((resolve, reject) => process.stdout.write(csv, (e) => (e ? reject(e) : resolve()))),
      discard: () => Promise.resolve(),
    };
  }
  const file = await SecretFile.prepare(out, options);
  return { toStdout: false, name: out, write: (csv) => file.commit(csv), discard: () => file.discard() };
}
