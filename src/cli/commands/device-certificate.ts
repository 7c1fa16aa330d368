import type { Command } from 'commander';
import { apiPath } from '../api-client.ts';
import type { IssuedCertificate } from '../api.types.ts';
import { CliError } from '../cli-error.ts';
import { clientFor } from '../connection.ts';
import { readInputFile, writePublicFile } from '../files.ts';
import { inform, print } from '../output.ts';

interface CertificateOptions {
  product: string;
  serial: string;
  csr: string;
  out?: string;
  chainOut?: string;
}

/** `device enroll` and `device renew`: send a PKCS#10 CSR, write the issued certificate. */
export function registerCertificateCommands(device: Command): void {
  for (const [action, description] of [
    ['enroll', 'issue the first certificate for a registered (or re-provisioned) device'],
    ['renew', 'issue a new certificate for an active device'],
  ] as const) {
    device
      .command(action)
      .description(description)
      .requiredOption('--product <sku>', 'product SKU')
      .requiredOption('--serial <serial>', 'device serial')
      .requiredOption('--csr <file>', 'PEM PKCS#10 certificate request')
      .option('--out <file>', 'write the certificate here (PEM, mode 0644); default: stdout')
      .option('--chain-out <file>', 'write the CA chain here (issuing CA, then root)')
      .action(async (o: CertificateOptions, cmd: Command) => {
        const csr = await readInputFile(o.csr, 'CSR');
        const path = apiPath`/v1/products/${o.product}/devices/${o.serial}/${action}`;
        const issued = await (await clientFor(cmd)).postJson<IssuedCertificate>(path, { csr });
        await writeIssued(issued, o);
      });
  }
}

async function writeIssued(issued: IssuedCertificate, o: CertificateOptions): Promise<void> {
  const summary = `certificate ${issued.serialNumber} for ${o.product} ${o.serial}, valid until ${issued.notAfter}`;
  try {
    if (o.out === undefined) {
      print(issued.certificate);
    } else {
      await writePublicFile(o.out, withNewline(issued.certificate));
    }
    if (o.chainOut !== undefined) await writePublicFile(o.chainOut, withNewline(issued.chain));
  } catch (e) {
    // The server has issued the certificate already; say so, or the user would retry and hit a lifecycle error.
    if (e instanceof CliError) throw e.withNotes(`the server did issue ${summary}; \`device renew\` gets a new one`);
    throw e;
  }
  inform(o.out === undefined ? summary : `wrote ${o.out}: ${summary}`);
}

function withNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : pem + '\n';
}
