import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Option, type Command } from 'commander';
import { SecretFile, writePublicFile } from '../files.ts';
import { readPassphrase } from '../signing-key.ts';
import { usageError } from '../cli-error.ts';
import { print } from '../output.ts';

interface KeygenOptions {
  out: string;
  alg: 'ed25519' | 'ecdsa-p256';
  passphraseFile?: string;
  force?: boolean;
}

/** Signing-key algorithms release managers and product security officers may use: what TUF clients verify. */
export const personalKeyAlgorithms = ['ed25519', 'ecdsa-p256'] as const;

/**
 * `trustplane keygen`: a release manager's or product security officer's key pair, made on their
 * own machine. The private key never goes to the server: only the public key (`<out>.pub`) is
 * registered, and signatures are uploaded.
 */
export function registerKeygenCommand(program: Command): void {
  program
    .command('keygen')
    .description("make a personal signing key (release manager, product security officer); it never leaves this machine")
    .requiredOption('--out <file>', 'private key file (PKCS#8 PEM, mode 0600); the public key goes to <file>.pub')
    .addOption(new Option('--alg <alg>', 'key algorithm').choices(personalKeyAlgorithms).default('ed25519'))
    .option('--passphrase-file <file>', 'encrypt the private key (AES-256) with the passphrase in this file')
    .option('--force', 'replace existing files')
    .action(async (o: KeygenOptions) => {
      const passphrase = await readPassphrase(o.passphraseFile);
      if (passphrase !== undefined && passphrase.length < 8) throw usageError('the passphrase must be at least 8 characters');
      const secret = await SecretFile.prepare(o.out, { force: o.force === true });
      const { privateKey, publicKey } = o.alg === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
      try {
        await writePublicFile(`${o.out}.pub`, publicKey.export({ format: 'pem', type: 'spki' }).toString());
      } catch (e) {
        await secret.discard();
        throw e;
      }
      const pem = passphrase === undefined
        ? privateKey.export({ format: 'pem', type: 'pkcs8' })
        : privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase });
      await secret.commit(pem.toString());
      print(`private key: ${o.out} (${passphrase === undefined ? 'not encrypted: keep it on this machine only' : 'encrypted'})\npublic key:  ${o.out}.pub\nfingerprint: SHA256:${spkiFingerprint(publicKey)}\n`);
    });
}

/** SHA-256 of the DER SubjectPublicKeyInfo, hex: how trustplane names a registered key. */
export function spkiFingerprint(key: KeyObject): string {
  return createHash('sha256').update(key.export({ format: 'der', type: 'spki' })).digest('hex');
}
