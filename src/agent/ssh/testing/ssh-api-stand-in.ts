import { AgentError } from '../../agent-error.ts';
import type { HostCertificateAnswer, LoginReport, SshConfigAnswer, SshDeviceApi } from '../device-ssh-api.ts';

type Answer<T> = T | AgentError | (() => T | Promise<T>);

async function give<T>(a: Answer<T>): Promise<T> {
  if (a instanceof AgentError) throw a;
  return typeof a === 'function' ? (a as () => T | Promise<T>)() : a;
}

export const unreachable = (): AgentError => new AgentError('unreachable', 'UNREACHABLE', 'no answer from https://127.0.0.1:1: ECONNREFUSED');

/**
 * Test stand-in for the device listener's SSH routes (docs/design/ssh-contract.md): answers what
 * the test sets, records what the agent sends. For the agent's own logic (lost answers, bad
 * KRLs, failed fetches); the real routes are exercised against the real server after the merge.
 */
export class SshApiStandIn implements SshDeviceApi {
  krlAnswer: Answer<Buffer> = unreachable();
  configAnswer: Answer<SshConfigAnswer> = unreachable();
  hostCertificateAnswer: Answer<HostCertificateAnswer> = unreachable();
  /** every batch the server received, in order, even the ones whose answer was then lost */
  readonly loginBatches: LoginReport[][] = [];
  /** the next N login reports are recorded but their answer never arrives */
  loseLoginAnswers = 0;
  readonly hostKeysAsked: string[] = [];

  krl(): Promise<Buffer> {
    return give(this.krlAnswer);
  }

  config(): Promise<SshConfigAnswer> {
    return give(this.configAnswer);
  }

  hostCertificate(publicKeyLine: string): Promise<HostCertificateAnswer> {
    this.hostKeysAsked.push(publicKeyLine);
    return give(this.hostCertificateAnswer);
  }

  reportLogins(logins: readonly LoginReport[]): Promise<{ recorded: number }> {
    this.loginBatches.push([...logins]);
    if (this.loseLoginAnswers > 0) {
      this.loseLoginAnswers -= 1;
      return Promise.reject(unreachable());
    }
    return Promise.resolve({ recorded: logins.length });
  }

  close(): void {}
}
