import type { Command } from 'commander';
import { AgentError, stateError } from '../agent-error.ts';
import { attestWithTpm, DeviceAttestationApi, registerTpmAttestationKey, Tpm2Tools } from '../attest/index.ts';
import type { AgentConfig, StateStore } from '../state-store.ts';
import { openAgent, readCaBundle } from './agent-context.ts';

interface AttestOptions {
  stateDir: string;
  tcti: string;
}

/** The kernel's resource manager: tpm2-tools' flushes then touch only the agent's own objects (docs/design/attestation.md). */
const DEFAULT_TCTI = 'device:/dev/tpmrm0';

async function withAttestationApi<T>(config: AgentConfig, store: StateStore, use: (api: DeviceAttestationApi) => Promise<T>): Promise<T> {
  const current = (await store.layout()).current;
  const identity = current === undefined ? undefined : await store.readIdentity(current);
  if (identity?.keyPem === undefined || identity.certPem === undefined) throw stateError(`${store.dir} has no current identity: enroll first`);
  const api = new DeviceAttestationApi({ server: config.server, product: config.product, caBundlePem: await readCaBundle(config.caBundle), identity: { keyPem: identity.keyPem, certPem: identity.certPem } });
  try {
    return await use(api);
  } finally {
    api.close();
  }
}

function pcrList(value: string): number[] {
  const pcrs = value.split(',').map((p) => Number(p.trim()));
  if (pcrs.length === 0 || pcrs.some((p) => !Number.isInteger(p) || p < 0 || p > 23)) throw new AgentError('usage', 'USAGE', '--pcrs is a comma-separated list of PCR indices 0–23');
  return pcrs;
}

/** `attest-key register` and `attest` (docs/reference/agent.md): the device's side of remote attestation, TPM through tpm2-tools. */
export function registerAttestCommands(program: Command): void {
  const key = program.command('attest-key').description("the TPM attestation key bound to this device's identity");
  key
    .command('register')
    .description('provision the EK and AK (kept if present), register the AK, answer the credential-activation challenge with the TPM')
    .requiredOption('--state-dir <dir>', 'the agent state directory')
    .option('--tcti <tcti>', 'the TPM tpm2-tools talks to', DEFAULT_TCTI)
    .action(async (o: AttestOptions) => {
      const { config, store, ctx } = await openAgent(o.stateDir);
      ctx.est.close();
      const bound = await withAttestationApi(config, store, (api) => registerTpmAttestationKey(api, new Tpm2Tools(o.tcti)));
      process.stdout.write(`attestation key ${bound.id} bound to ${config.product}/${config.serial}\n`);
    });

  program
    .command('attest')
    .description("ask for a nonce, quote the boot PCRs over it with the TPM, send the evidence; prints the verifier's result")
    .requiredOption('--state-dir <dir>', 'the agent state directory')
    .option('--tcti <tcti>', 'the TPM tpm2-tools talks to', DEFAULT_TCTI)
    .option('--pcrs <list>', 'PCR indices to quote, comma-separated', '0,7')
    .option('--bank <alg>', 'PCR bank: sha256, sha384 or sha512', 'sha256')
    .action(async (o: AttestOptions & { pcrs: string; bank: string }) => {
      if (o.bank !== 'sha256' && o.bank !== 'sha384' && o.bank !== 'sha512') throw new AgentError('usage', 'USAGE', '--bank is sha256, sha384 or sha512');
      const bank = o.bank;
      const { config, store, ctx } = await openAgent(o.stateDir);
      ctx.est.close();
      const result = await withAttestationApi(config, store, (api) => attestWithTpm(api, new Tpm2Tools(o.tcti), { bank, pcrs: pcrList(o.pcrs) }));
      process.stdout.write(`${result.status} (${result.id})\n`);
    });
}
