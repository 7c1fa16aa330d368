import { Option, type Command } from 'commander';
import { apiPath } from '../api-client.ts';
import { clientFor } from '../connection.ts';
import { formatKeyValues, print, printJson } from '../output.ts';
import { registerVerifierKeyCommands } from './attestation-verifier-key.ts';

/** GET/PUT /v1/products/{sku}/attestation/policy (docs/design/attestation.md "Policy"). */
interface AttestationPolicy {
  product: string;
  suspendOnFailure: boolean;
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
  const policy = attestation.command('policy').description("the product's attestation policy: whether a failed appraisal suspends the device");

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
    .description('set the policy (a ledger event; the same policy again writes nothing)')
    .requiredOption('--product <sku>', 'the product')
    .addOption(new Option('--suspend-on-failure <bool>', 'suspend the device in the same transaction as a failed appraisal').choices(['true', 'false']).makeOptionMandatory())
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; suspendOnFailure: 'true' | 'false'; json?: boolean }, cmd: Command) => {
      const client = await clientFor(cmd);
      const answer = await client.putJson<AttestationPolicy>(apiPath`/v1/products/${o.product}/attestation/policy`, { suspendOnFailure: o.suspendOnFailure === 'true' });
      if (o.json === true) printJson(answer);
      else print(formatPolicy(answer));
    });
}

function formatPolicy(p: AttestationPolicy): string {
  return formatKeyValues([
    ['product', p.product],
    ['suspend on failure', p.suspendOnFailure ? 'yes: a failed appraisal suspends the device (an operator reinstates)' : 'no: failures are recorded only'],
    ['set', p.setAt === null ? 'never (the default)' : `${p.setAt} by ${p.setBy ?? '?'}`],
  ]);
}
