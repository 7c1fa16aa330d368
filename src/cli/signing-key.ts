import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { usageError } from './cli-error.ts';
import { readInputFile } from './files.ts';

/**
 * A person's private signing key from the file `trustplane keygen` wrote (PKCS#8 PEM, encrypted
 * when a passphrase file is given). It is used here, on this machine, and never sent anywhere.
 */
export async function readSigningKey(file: string, passphraseFile: string | undefined): Promise<KeyObject> {
  let pem: Buffer;
  try {
    pem = await readFile(file);
  } catch (cause) {
    throw usageError(`cannot read the key ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
  const passphrase = await readPassphrase(passphraseFile);
  let key: KeyObject;
  try {
    key = createPrivateKey(passphrase === undefined ? pem : { key: pem, passphrase });
  } catch (cause) {
    throw usageError(`${file} is not a private key${passphrase === undefined ? ' (encrypted? give --passphrase-file)' : ' (or the passphrase is wrong)'}`, cause);
  }
  if (key.asymmetricKeyType !== 'ed25519' && !(key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')) {
    throw usageError(`${file} is not an Ed25519 or ECDSA P-256 key`);
  }
  return key;
}

/** A key's passphrase from a file (its one trailing newline dropped), or none. */
export async function readPassphrase(file: string | undefined): Promise<string | undefined> {
  return file === undefined ? undefined : (await readInputFile(file, 'passphrase file')).replace(/\r?\n$/, '');
}
