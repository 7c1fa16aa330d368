/**
 * OpenSSH's own tools (ssh-keygen) driven from interop tests in a Workdir: CA keys that both
 * ssh-keygen and our code sign with, user and host keys ssh-keygen makes.
 */
import { chmod } from 'node:fs/promises';
import { generateKeyPairSync } from 'node:crypto';
import type { Signer } from '../../src/crypto/signer.ts';
import { signerFromKey } from '../../src/pki/testing/signer-from-key.ts';
import { formatSshPublicKey, parseSshPublicKey, sshPublicKeyFromSpki, type SshPublicKey } from '../../src/ssh/index.ts';
import { opensshPrivateKey } from '../../src/ssh/testing/openssh-private-key.ts';
import type { ToolResult, Workdir } from './openssl.ts';

export interface TestSshCa {
  /** the private key file ssh-keygen -s reads, and `<file>.pub` */
  readonly file: string;
  readonly signer: Signer;
  readonly publicKey: SshPublicKey;
  readonly line: string;
}

/** A CA key made in Node, written where ssh-keygen reads it. */
export async function makeSshCa(work: Workdir, name: string, algorithm: 'ed25519' | 'ecdsa-p256' = 'ed25519'): Promise<TestSshCa> {
  const { privateKey } = algorithm === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = signerFromKey(privateKey, name);
  const publicKey = sshPublicKeyFromSpki(signer.spki);
  const line = formatSshPublicKey(publicKey, name);
  await work.write(name, opensshPrivateKey(privateKey, name));
  await chmod(work.path(name), 0o600);
  await work.write(`${name}.pub`, `${line}\n`);
  return { file: name, signer, publicKey, line };
}

export async function sshKeygen(work: Workdir, args: readonly string[]): Promise<ToolResult> {
  const r = await work.run('ssh-keygen', args);
  if (r.status !== 0) throw new Error(`ssh-keygen ${args.join(' ')} → exit ${r.status}\n${r.output}`);
  return r;
}

/** `ssh-keygen -t type` without a passphrase: `<name>` and `<name>.pub`; the public key parsed. */
export async function makeSshKey(work: Workdir, name: string, type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519'): Promise<{ file: string; publicKey: SshPublicKey; line: string }> {
  await sshKeygen(work, ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '3072'] : []), '-N', '', '-C', name, '-f', name]);
  const line = (await work.read(`${name}.pub`)).toString('utf8').trim();
  return { file: name, publicKey: parseSshPublicKey(line), line };
}
