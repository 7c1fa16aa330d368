import { readFile } from 'node:fs/promises';
import type { Clock } from '../../core/clock.ts';
import { isTrustplaneError } from '../../core/errors.ts';
import { formatSshCertificate, parseSshCertificate, parseSshPublicKey, sameSshKey, verifySshCertificate, type ParsedSshCertificate } from '../../ssh/index.ts';
import { AgentError, usageError } from '../agent-error.ts';
import { writeFileDurably } from '../durable-files.ts';
import { fallbackPlan } from '../renewal-schedule.ts';
import type { SshDeviceApi } from './device-ssh-api.ts';

/** The SSH host key whose certificate the agent keeps (sshd's `HostKey` … `.pub`). */
export const DEFAULT_HOST_PUBLIC_KEY = '/etc/ssh/ssh_host_ed25519_key.pub';

/** OpenSSH's convention: `ssh_host_ed25519_key.pub` → `ssh_host_ed25519_key-cert.pub`, next to the key. */
export function hostCertificatePath(hostPublicKey: string): string {
  return `${hostPublicKey.replace(/\.pub$/, '')}-cert.pub`;
}

function rejected(message: string, cause?: unknown): AgentError {
  return new AgentError('rejected', 'SSH_HOST_CERTIFICATE_INVALID', message, cause === undefined ? {} : { cause });
}

/**
 * `trustplane-agent ssh-host-cert`: asks the device listener to certify the host key and writes
 * the certificate next to it, atomically. The answer is checked before anything is written: a
 * host certificate, for this very key, signed by the host CA the answer names, valid now. A lost
 * answer is harmless: asking again gets another certificate for the same key.
 */
export async function renewHostCertificate(o: { api: SshDeviceApi; hostPublicKey: string; clock: Clock; log: (line: string) => void }): Promise<ParsedSshCertificate> {
  const line = (await readFile(o.hostPublicKey, 'utf8').catch(() => {
    throw usageError(`cannot read the SSH host public key ${o.hostPublicKey}`);
  })).trim();
  let hostKey;
  try {
    hostKey = parseSshPublicKey(line);
  } catch (e) {
    throw usageError(`${o.hostPublicKey} is not an SSH public key (${isTrustplaneError(e) ? e.code : String(e)})`);
  }
  const answer = await o.api.hostCertificate(line);
  let cert: ParsedSshCertificate;
  let hostCa;
  try {
    cert = parseSshCertificate(answer.certificate);
    hostCa = parseSshPublicKey(answer.hostCaKey);
  } catch (e) {
    throw rejected('the host certificate the server sent does not parse', e);
  }
  const now = o.clock.now();
  if (cert.kind !== 'host') throw rejected('the server sent a user certificate, not a host certificate');
  if (!sameSshKey(cert.publicKey, hostKey)) throw rejected('the host certificate is for another key');
  if (!sameSshKey(cert.signatureKey, hostCa) || !verifySshCertificate(cert)) throw rejected('the host certificate is not signed by the host CA the answer names');
  if (cert.validBefore <= now || cert.validAfter > now) throw rejected(`the host certificate is not valid now (${cert.validAfter.toISOString()} .. ${cert.validBefore.toISOString()})`);
  const path = hostCertificatePath(o.hostPublicKey);
  await writeFileDurably(path, `${formatSshCertificate(cert.blob, hostKey.comment)}\n`, 0o644);
  o.log(`ssh: host certificate ${cert.serial} for ${cert.principals.join(',')} valid until ${cert.validBefore.toISOString()} written to ${path}`);
  return cert;
}

/**
 * When the host certificate next to `hostPublicKey` is due for renewal: at two thirds of its
 * lifetime, as the device certificate without the server's advice; now when there is none, it
 * does not parse, or it is for another key.
 */
export async function hostCertificateDue(hostPublicKey: string, clock: Clock): Promise<Date> {
  try {
    const cert = parseSshCertificate(await readFile(hostCertificatePath(hostPublicKey)));
    const key = parseSshPublicKey((await readFile(hostPublicKey, 'utf8')).trim());
    if (!sameSshKey(cert.publicKey, key)) return clock.now();
    return fallbackPlan(cert.validAfter, cert.validBefore).at;
  } catch {
    return clock.now();
  }
}
