import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { systemClock, type Clock } from '../../core/clock.ts';
import { stateError, usageError } from '../agent-error.ts';
import type { DeviceApiOptions } from '../device-api-connection.ts';
import { EstClient } from '../est-client.ts';
import { failpointFromEnvironment, type StepContext } from '../renewal-steps.ts';
import { StateStore, type AgentConfig } from '../state-store.ts';

/** One line per action, on stderr, stamped with the clock's time. */
export function stderrLog(clock: Clock = systemClock): (line: string) => void {
  return (line) => process.stderr.write(`${clock.now().toISOString()} trustplane-agent: ${line}\n`);
}

export async function readCaBundle(path: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch {
    throw usageError(`cannot read the CA bundle ${path}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw usageError(`${path} holds no PEM certificate`);
  return pem;
}

/** The state directory's store, its config, an EST client for it and the step context. */
export async function openAgent(
  stateDir: string,
): Promise<{ config: AgentConfig; store: StateStore; ctx: StepContext }> {
  const store = new StateStore(resolve(stateDir));
  const config = await store.readConfig();
  const caBundlePem = await readCaBundle(config.caBundle);
  const est = new EstClient({ server: config.server, product: config.product, caBundlePem });
  const ctx: StepContext = { store, est, clock: systemClock, log: stderrLog(), onStep: failpointFromEnvironment() };
  return { config, store, ctx };
}

/** Commander argument parser: a whole number from 1. */
export function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) <= 0 || !Number.isSafeInteger(Number(value)))
    throw new InvalidArgumentError('expected a positive whole number');
  return Number(value);
}

/** How to reach the device API with the device's identity of the moment (run renews it underneath). */
export async function deviceApiOptions(config: AgentConfig, store: StateStore): Promise<DeviceApiOptions> {
  const current = (await store.layout()).current;
  const identity = current === undefined ? undefined : await store.readIdentity(current);
  if (identity?.keyPem === undefined || identity.certPem === undefined) throw stateError(`${store.dir} has no current identity: enroll first`);
  return { server: config.server, product: config.product, caBundlePem: await readCaBundle(config.caBundle), identity: { keyPem: identity.keyPem, certPem: identity.certPem } };
}
