import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../../core/clock.ts';
import { usageError } from '../agent-error.ts';
import { enrollDevice } from '../enroll.ts';
import { EstClient, type EnrollmentCredential } from '../est-client.ts';
import { failpointFromEnvironment } from '../renewal-steps.ts';
import { hardwareRevisionPattern, StateStore } from '../state-store.ts';
import { readCaBundle, stderrLog } from './agent-context.ts';
import { secretFrom } from './secret-source.ts';

interface EnrollOptions {
  server: string;
  caBundle: string;
  product: string;
  serial?: string;
  token?: string;
  tokenFile?: string;
  bootstrapCert?: string;
  bootstrapKey?: string;
  stateDir: string;
  station?: string;
  hardwareRevision?: string;
}

export function registerEnrollCommand(program: Command): void {
  program
    .command('enroll')
    .description('first enrollment: make a key here, get its certificate over EST, store both in the state directory')
    .requiredOption('--server <url>', 'EST server, https://host:port')
    .requiredOption('--ca-bundle <file>', 'PEM certificates that anchor the EST server (trustplane ca export)')
    .requiredOption('--product <sku>', 'product SKU')
    .option('--serial <serial>', 'device serial (with --bootstrap-cert: read from its subject if omitted)')
    .option('--token <token>', 'one-time enrollment token of the serial; prefer --token-file (a flag shows in ps)')
    .option('--token-file <file>', 'file holding the one-time enrollment token')
    .option('--bootstrap-cert <file>', 'manufacturer bootstrap certificate (IDevID), PEM, instead of a token')
    .option('--bootstrap-key <file>', 'its private key, PEM')
    .requiredOption('--state-dir <dir>', 'where the agent keeps its identity')
    .option('--station <name>', 'factory station, recorded in the provisioning event')
    .option('--hardware-revision <rev>', "this device's hardware revision, remembered: boot manifests are checked against it")
    .action(async (o: EnrollOptions) => {
      const credential = await credentialFrom(o);
      const serial = deviceSerial(o.serial, credential);
      const caBundlePem = await readCaBundle(o.caBundle);
      const store = new StateStore(resolve(o.stateDir));
      if (o.hardwareRevision !== undefined && !hardwareRevisionPattern.test(o.hardwareRevision))
        throw usageError('--hardware-revision: 1 to 64 visible ASCII characters');
      const config = { server: o.server, product: o.product, serial, caBundle: resolve(o.caBundle), ...(o.hardwareRevision !== undefined ? { hardwareRevision: o.hardwareRevision } : {}) };
      const est = new EstClient({ server: o.server, product: o.product, caBundlePem });
      const ctx = { store, est, clock: systemClock, log: stderrLog(), onStep: failpointFromEnvironment() };
      try {
        const identity = await enrollDevice(ctx, config, credential, o.station);
        process.stdout.write(
          `enrolled ${o.product}/${serial}: certificate ${identity.certificateSerial}, valid until ${identity.notAfter.toISOString()}\n`,
        );
      } finally {
        est.close();
      }
    });
}

async function credentialFrom(o: EnrollOptions): Promise<EnrollmentCredential> {
  const bootstrap = o.bootstrapCert !== undefined || o.bootstrapKey !== undefined;
  const token = await secretFrom({ value: o.token, file: o.tokenFile, valueName: '--token', fileName: '--token-file' });
  if (bootstrap === (token !== undefined))
    throw usageError('give either --token-file (or --token) or --bootstrap-cert with --bootstrap-key');
  if (token !== undefined) {
    if (o.serial === undefined) throw usageError('a token needs --serial');
    return { kind: 'token', serial: o.serial, token };
  }
  if (o.bootstrapCert === undefined || o.bootstrapKey === undefined)
    throw usageError('--bootstrap-cert and --bootstrap-key go together');
  const read = (f: string): Promise<string> =>
    readFile(f, 'utf8').catch(() => Promise.reject(usageError(`cannot read ${f}`)));
  return { kind: 'bootstrap', identity: { certPem: await read(o.bootstrapCert), keyPem: await read(o.bootstrapKey) } };
}

/** IEEE 802.1AR: with a bootstrap certificate the server takes the serial from its subject's serialNumber (2.5.4.5). */
function deviceSerial(given: string | undefined, credential: EnrollmentCredential): string {
  if (credential.kind === 'token') return credential.serial;
  let subject: string;
  try {
    subject = new X509Certificate(credential.identity.certPem).subject;
  } catch {
    throw usageError('the bootstrap certificate is not a PEM X.509 certificate');
  }
  const inCertificate = /^serialNumber=(.+)$/m.exec(subject)?.[1];
  if (inCertificate === undefined) throw usageError('the bootstrap certificate has no serialNumber in its subject');
  if (given !== undefined && given !== inCertificate)
    throw usageError(`--serial ${given} is not the bootstrap certificate's serialNumber ${inCertificate}`);
  return inCertificate;
}
