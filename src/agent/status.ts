import type { Clock } from '../core/clock.ts';
import { describeFailure } from './agent-error.ts';
import type { EstClient } from './est-client.ts';
import { checkIdentity, type IdentityCheck } from './identity-check.ts';
import type { StateStore } from './state-store.ts';
import { SlotStore } from './update/slot-store.ts';
import { UpdateStore } from './update/update-store.ts';

/** `trustplane-agent status --json`: what the state directory holds and whether it can be used. */
export interface AgentStatus {
  product: string;
  serial: string;
  server: string;
  /** Remembered in agent.json (enroll or the first update that named it). */
  hardwareRevision: string | null;
  /** `ids/<n>` that `current` names; null before the first enrollment finished. */
  currentIndex: number | null;
  certificate: { serialNumber: string; notBefore: string; notAfter: string; issuer: string; subject: string } | null;
  keyAlgorithm: string | null;
  keyMatchesCertificate: boolean;
  certificateUnexpired: boolean;
  chainValid: boolean;
  /** The key and the certificate belong together and the certificate is inside its validity. */
  pairValid: boolean;
  /** The server's suggested window; null when not asked (--offline) or not answered. */
  renewalWindow: { start: string; end: string } | null;
  renewalWindowError?: string;
  /** Why the current identity cannot be read, if it cannot. */
  problem?: string;
  /** A renewal that a killed agent left; the next renew or run finishes it. */
  unfinishedRenewal: { index: number; hasKey: boolean; hasCertificate: boolean; hasChain: boolean } | null;
  /** What `update` installed (the `current` slot) and the highest security version ever installed. */
  update: {
    installed: { releaseId: string; version: string; securityVersion: number; slot: string } | null;
    highestSecurityVersion: number;
    problem?: string;
  };
}

export async function agentStatus(store: StateStore, clock: Clock, est: EstClient | undefined): Promise<AgentStatus> {
  const config = await store.readConfig();
  const layout = await store.layout();
  const status: AgentStatus = {
    product: config.product,
    serial: config.serial,
    server: config.server,
    hardwareRevision: config.hardwareRevision ?? null,
    currentIndex: layout.current ?? null,
    certificate: null,
    keyAlgorithm: null,
    keyMatchesCertificate: false,
    certificateUnexpired: false,
    chainValid: false,
    pairValid: false,
    renewalWindow: null,
    unfinishedRenewal: null,
    update: await updateStatus(store.dir),
  };
  const next = layout.unfinished.at(-1);
  if (next !== undefined) {
    const u = await store.readIdentity(next);
    status.unfinishedRenewal = {
      index: next,
      hasKey: u.keyPem !== undefined,
      hasCertificate: u.certPem !== undefined,
      hasChain: u.chainPem !== undefined,
    };
  }
  if (layout.current === undefined) return status;
  const stored = await store.readIdentity(layout.current);
  if (stored.keyPem === undefined || stored.certPem === undefined) {
    status.problem = `ids/${layout.current} lacks its ${stored.keyPem === undefined ? 'key' : 'certificate'}`;
    return status;
  }
  let check: IdentityCheck;
  try {
    check = checkIdentity(stored.keyPem, stored.certPem, stored.chainPem, clock.now());
  } catch (e) {
    status.problem = `ids/${layout.current} does not parse: ${e instanceof Error ? e.message : String(e)}`;
    return status;
  }
  status.certificate = {
    serialNumber: check.certificateSerial,
    notBefore: check.notBefore.toISOString(),
    notAfter: check.notAfter.toISOString(),
    issuer: check.issuer,
    subject: check.subject,
  };
  status.keyAlgorithm = check.keyAlgorithm ?? null;
  status.keyMatchesCertificate = check.keyMatches;
  status.certificateUnexpired = check.unexpired;
  status.chainValid = check.chainValid;
  status.pairValid = check.keyMatches && check.unexpired;
  if (est) {
    try {
      const w = await est.renewalInfo({ keyPem: stored.keyPem, certPem: stored.certPem });
      status.renewalWindow = { start: w.start.toISOString(), end: w.end.toISOString() };
    } catch (e) {
      status.renewalWindowError = describeFailure(e).line;
    }
  }
  return status;
}

async function updateStatus(stateDir: string): Promise<AgentStatus['update']> {
  const updates = new UpdateStore(stateDir);
  try {
    const installed = await new SlotStore(updates.dir).installed();
    return {
      installed: installed
        ? {
            releaseId: installed.releaseId,
            version: installed.version,
            securityVersion: installed.securityVersion,
            slot: installed.slot,
          }
        : null,
      highestSecurityVersion: Math.max(await updates.highestSecurityVersion(), installed?.securityVersion ?? 0),
    };
  } catch (e) {
    return { installed: null, highestSecurityVersion: 0, problem: describeFailure(e).line };
  }
}

/** The human form of the status, one fact per line. */
export function formatStatus(s: AgentStatus): string {
  const lines = [`device       ${s.product}/${s.serial}${s.hardwareRevision ? ` (hardware ${s.hardwareRevision})` : ''}`, `server       ${s.server}`];
  if (s.certificate) {
    lines.push(
      `certificate  ${s.certificate.serialNumber} (ids/${s.currentIndex})`,
      `issuer       ${s.certificate.issuer.replaceAll('\n', ', ')}`,
      `valid        ${s.certificate.notBefore} .. ${s.certificate.notAfter}`,
      `key          ${s.keyAlgorithm ?? 'unsupported'}`,
      `pair valid   ${s.pairValid ? 'yes' : 'NO'} (key matches: ${s.keyMatchesCertificate ? 'yes' : 'no'}, unexpired: ${s.certificateUnexpired ? 'yes' : 'no'}, chain: ${s.chainValid ? 'valid' : 'invalid'})`,
    );
  } else lines.push(`certificate  none: ${s.problem ?? 'not enrolled'}`);
  if (s.renewalWindow) lines.push(`renew        ${s.renewalWindow.start} .. ${s.renewalWindow.end}`);
  else if (s.renewalWindowError) lines.push(`renew        unknown (${s.renewalWindowError})`);
  const u = s.unfinishedRenewal;
  if (u)
    lines.push(
      `unfinished   ids/${u.index} (key: ${u.hasKey ? 'yes' : 'no'}, certificate: ${u.hasCertificate ? 'yes' : 'no'}); the next renew finishes it`,
    );
  const i = s.update.installed;
  lines.push(
    i
      ? `installed    ${i.version} (${i.releaseId}, security version ${i.securityVersion}, slot ${i.slot})`
      : `installed    nothing by update${s.update.problem ? ` (${s.update.problem})` : ''}`,
    `security     highest installed security version ${s.update.highestSecurityVersion}`,
  );
  return lines.join('\n') + '\n';
}
