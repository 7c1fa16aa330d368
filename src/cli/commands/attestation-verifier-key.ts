import type { Command } from 'commander';
import { clientFor } from '../connection.ts';
import { formatKeyValues, formatTable, inform, print, printJson, type Column } from '../output.ts';

/** GET /v1/attestation/verifier-keys (docs/design/attestation.md "Verifier keys"). */
interface VerifierKey {
  kid: string;
  state: 'current' | 'retired';
  createdAt: string;
  retiredAt: string | null;
  successor: string | null;
  lastResultExpiresAt: string | null;
  published: boolean;
}

/** POST /v1/attestation/verifier-keys/rotate */
interface VerifierKeyRotation {
  rotated: boolean;
  previousKid: string;
  kid: string;
  rotatedAt: string;
}

const keyColumns: Column<VerifierKey>[] = [
  { header: 'KID', value: (k) => k.kid },
  { header: 'STATE', value: (k) => k.state },
  { header: 'CREATED', value: (k) => k.createdAt },
  { header: 'RETIRED', value: (k) => k.retiredAt },
  { header: 'PUBLISHED', value: (k) => (k.published ? (k.state === 'current' ? 'yes' : `until ${k.lastResultExpiresAt ?? '?'}`) : 'no') },
];

/** `attestation verifier-key list|rotate`: the key that signs attestation results (an EdDSA JWT each). */
export function registerVerifierKeyCommands(attestation: Command): void {
  const key = attestation.command('verifier-key').description('the verifier key that signs attestation results, and its rotation');

  key
    .command('list', { isDefault: true })
    .description('the current key and the retired ones; a retired key is published while a result it signed is unexpired')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const answer = await (await clientFor(cmd)).getJson<{ items: VerifierKey[]; jwks: string }>('/v1/attestation/verifier-keys');
      if (o.json === true) printJson(answer);
      else print(formatTable(answer.items, keyColumns) + `JWK set: ${answer.jwks}\n`);
    });

  key
    .command('rotate')
    .description('make a new Ed25519 verifier key sign results from now on (admin; a ledger event)')
    .option('--if-current <kid>', 'rotate only if this is the current key; a retry of the rotation that replaced it answers that rotation, writing nothing')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { ifCurrent?: string; json?: boolean }, cmd: Command) => {
      const client = await clientFor(cmd);
      const { status, body } = await client.postJsonWithStatus<VerifierKeyRotation>('/v1/attestation/verifier-keys/rotate', o.ifCurrent === undefined ? {} : { ifCurrent: o.ifCurrent });
      // 200: the rotation from --if-current was made by an earlier run whose answer was lost
      if (status === 200) inform(`${body.previousKid} was already rotated to ${body.kid} at ${body.rotatedAt}: nothing new recorded`);
      if (o.json === true) printJson(body);
      else
        print(
          formatKeyValues([
            ['current kid', body.kid],
            ['previous kid', `${body.previousKid} (published while a result it signed is unexpired)`],
            ['rotated', body.rotatedAt],
          ]),
        );
    });
}
