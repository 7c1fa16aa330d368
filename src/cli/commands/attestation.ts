import { InvalidArgumentError, Option, type Command } from 'commander';
import { apiPath } from '../api-client.ts';
import { usageError } from '../cli-error.ts';
import { clientFor } from '../connection.ts';
import { formatKeyValues, print, printJson } from '../output.ts';
import { registerVerifierKeyCommands } from './attestation-verifier-key.ts';

/** GET/PUT /v1/products/{sku}/attestation/policy (docs/design/attestation.md "Policy"). */
interface AttestationPolicy {
  product: string;
  suspendOnFailure: boolean;
  requiredPcrs: number[];
  setBy: string | null;
  setAt: string | null;
}

/**
 * The `attestation` group (remote attestation, docs/design/attestation.md). Each part of it
 * registers its subcommands on the group from its own file: add a line here, nothing else.
 */
export function registerAttestationCommands(program: Command): Command {
  const attestation = program.command('attestation').description('remote attestation: the product policy, the verifier key that signs results');
  registerAttestationPolicyCommands(attestation);
  registerVerifierKeyCommands(attestation);
  return attestation;
}

/** `attestation policy [show|set]`: what a failed appraisal does to the product's device. */
function registerAttestationPolicyCommands(attestation: Command): void {
  const policy = attestation.command('policy').description("the product's attestation policy: whether a failed appraisal suspends the device, which PCRs a quote must match");

  policy
    .command('show', { isDefault: true })
    .description('show the policy (no policy set: failures are recorded, nothing suspended)')
    .requiredOption('--product <sku>', 'the product')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; json?: boolean }, cmd: Command) => {
      const answer = await (await clientFor(cmd)).getJson<AttestationPolicy>(apiPath`/v1/products/${o.product}/attestation/policy`);
      if (o.json === true) printJson(answer);
      else print(formatPolicy(answer));
    });

  policy
    .command('set')
    .description('set the policy (a ledger event; the same policy again writes nothing); what is not given is kept')
    .requiredOption('--product <sku>', 'the product')
    .addOption(new Option('--suspend-on-failure <bool>', 'suspend the device in the same transaction as a failed appraisal').choices(['true', 'false']))
    .option('--required-pcrs <list>', "PCRs a quote must match against the release's reference values, e.g. 0,2,4,7 ('none': the release's own)", pcrList)
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; suspendOnFailure?: 'true' | 'false'; requiredPcrs?: number[]; json?: boolean }, cmd: Command) => {
      if (o.suspendOnFailure === undefined && o.requiredPcrs === undefined) throw usageError('give --suspend-on-failure, --required-pcrs or both');
      const client = await clientFor(cmd);
      const path = apiPath`/v1/products/${o.product}/attestation/policy`;
      const current = await client.getJson<AttestationPolicy>(path);
      const answer = await client.putJson<AttestationPolicy>(path, {
        suspendOnFailure: o.suspendOnFailure === undefined ? current.suspendOnFailure : o.suspendOnFailure === 'true',
        requiredPcrs: o.requiredPcrs ?? current.requiredPcrs,
      });
      if (o.json === true) printJson(answer);
      else print(formatPolicy(answer));
    });
}

/** `0,2,4,7` or `none`: PCR indices 0–23 (the server checks them again). */
function pcrList(value: string): number[] {
  if (value === 'none') return [];
  const list = value.split(',').map((s) => s.trim());
  if (list.some((s) => !/^(0|[1-9][0-9]?)$/.test(s) || Number(s) > 23)) throw new InvalidArgumentError('a comma-separated list of PCR indices 0–23, or none');
  return list.map(Number);
}

function formatPolicy(p: AttestationPolicy): string {
  return formatKeyValues([
    ['product', p.product],
    ['suspend on failure', p.suspendOnFailure ? 'yes: a failed appraisal suspends the device (an operator reinstates)' : 'no: failures are recorded only'],
    ['required PCRs', p.requiredPcrs.length === 0 ? "none: each release's reference PCRs" : `${p.requiredPcrs.join(', ')}: a quote's release must reference each`],
    ['set', p.setAt === null ? 'never (the default)' : `${p.setAt} by ${p.setBy ?? '?'}`],
  ]);
}
