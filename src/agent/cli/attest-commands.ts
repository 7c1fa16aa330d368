import { createPrivateKey, type X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { AgentError, stateError, usageError } from '../agent-error.ts';
import {
  attestWithClaims,
  attestWithTpm,
  defaultTpmHandles,
  DeviceAttestationApi,
  parseDeviceStateClaims,
  registerTpmAttestationKey,
  Tpm2Tools,
  type AttestationAnswer,
  type EkCertificateSource,
} from '../attest/index.ts';
import { pemCertificates } from '../identity-check.ts';
import type { AgentConfig, StateStore } from '../state-store.ts';
import { openAgent, readCaBundle } from './agent-context.ts';

interface AttestOptions {
  stateDir: string;
  tcti: string;
}

/** The evidence options `attest` and `run --attest` share. */
export interface AttestEvidenceOptions {
  tcti: string;
  pcrs: string;
  bank: string;
  claims?: string;
}

/** The kernel's resource manager: tpm2-tools' flushes then touch only the agent's own objects (docs/design/attestation.md). */
const DEFAULT_TCTI = 'device:/dev/tpmrm0';

/** The device's identity of the moment (run renews it underneath), read for each use. */
async function currentIdentity(store: StateStore): Promise<{ keyPem: string; certPem: string }> {
  const current = (await store.layout()).current;
  const identity = current === undefined ? undefined : await store.readIdentity(current);
  if (identity?.keyPem === undefined || identity.certPem === undefined)
    throw stateError(`${store.dir} has no current identity: enroll first`);
  return { keyPem: identity.keyPem, certPem: identity.certPem };
}

async function withAttestationApi<T>(
  config: AgentConfig,
  store: StateStore,
  use: (api: DeviceAttestationApi, identity: { keyPem: string }) => Promise<T>,
): Promise<T> {
  const identity = await currentIdentity(store);
  const api = new DeviceAttestationApi({
    server: config.server,
    product: config.product,
    caBundlePem: await readCaBundle(config.caBundle),
    identity,
  });
  try {
    return await use(api, identity);
  } finally {
    api.close();
  }
}

function pcrList(value: string): number[] {
  const pcrs = value.split(',').map((p) => Number(p.trim()));
  if (pcrs.length === 0 || pcrs.some((p) => !Number.isInteger(p) || p < 0 || p > 23))
    throw new AgentError('usage', 'USAGE', '--pcrs is a comma-separated list of PCR indices 0–23');
  return pcrs;
}

export function addAttestEvidenceOptions(command: Command): Command {
  return command
    .option('--tcti <tcti>', 'the TPM tpm2-tools talks to', DEFAULT_TCTI)
    .option('--pcrs <list>', 'PCR indices to quote, comma-separated', '0,7')
    .option('--bank <alg>', 'PCR bank: sha256, sha384 or sha512', 'sha256')
    .option(
      '--claims <file>',
      'no TPM: send claims from this JSON file, signed with the device identity key, instead of a quote',
    );
}

/**
 * One attestation with the evidence the options choose; checked before the first pass, so a
 * daemon with a wrong option stops at start. The claims file is read at each pass: an installed
 * update changes it.
 */
export function attestationPass(
  config: AgentConfig,
  store: StateStore,
  o: AttestEvidenceOptions,
): () => Promise<AttestationAnswer> {
  const claimsFile = o.claims;
  if (claimsFile !== undefined)
    return async () => {
      let text: string;
      try {
        text = await readFile(claimsFile, 'utf8');
      } catch {
        throw usageError(`cannot read the claims file ${claimsFile}`);
      }
      const state = parseDeviceStateClaims(text);
      return withAttestationApi(config, store, (api, identity) =>
        attestWithClaims(api, createPrivateKey(identity.keyPem), config.serial, state),
      );
    };
  const bank = o.bank;
  if (bank !== 'sha256' && bank !== 'sha384' && bank !== 'sha512')
    throw new AgentError('usage', 'USAGE', '--bank is sha256, sha384 or sha512');
  const selection = { bank, pcrs: pcrList(o.pcrs) } as const;
  const tools = new Tpm2Tools(o.tcti);
  return () => withAttestationApi(config, store, (api) => attestWithTpm(api, tools, selection));
}

/** A TPM handle or NV index as tpm2-tools spells it: 0x and 8 hex digits. */
function tpmHandle(option: string, value: string): number {
  if (!/^0x[0-9a-fA-F]{8}$/.test(value)) throw usageError(`${option} is 0x and 8 hex digits`);
  return Number.parseInt(value, 16);
}

async function intermediatesFile(path: string): Promise<Uint8Array[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw usageError(`cannot read the EK intermediates file ${path}`);
  }
  let certificates: X509Certificate[];
  try {
    certificates = pemCertificates(text);
  } catch {
    throw usageError(`${path} is not PEM certificates`);
  }
  if (certificates.length === 0) throw usageError(`${path} holds no PEM certificate`);
  return certificates.map((c) => new Uint8Array(c.raw));
}

/** `attest-key register` and `attest` (docs/reference/agent.md): the device's side of remote attestation, TPM through tpm2-tools or claims. */
export function registerAttestCommands(program: Command): void {
  const key = program.command('attest-key').description("the TPM attestation key bound to this device's identity");
  key
    .command('register')
    .description(
      'provision the EK and AK (kept if present), register the AK, answer the credential-activation challenge with the TPM',
    )
    .requiredOption('--state-dir <dir>', 'the agent state directory')
    .option('--tcti <tcti>', 'the TPM tpm2-tools talks to', DEFAULT_TCTI)
    .option('--ek-handle <handle>', 'persistent handle of the EK (made from the TCG default ECC template if absent)', '0x81010002')
    .option(
      '--ek-certificate-nv <index>',
      "NV index of the EK certificate to send: a hex index, 'auto' (the TCG index for the EK's key type, if the TPM has it) or 'none'",
      'auto',
    )
    .option(
      '--ek-intermediates <file>',
      "PEM: the CAs between the EK certificate and the manufacturer CA the product trusts (default: the chain the manufacturer stored in the TPM's NV indices 0x01c00100-0x01c001ff, if any)",
    )
    .action(async (o: AttestOptions & { ekHandle: string; ekCertificateNv: string; ekIntermediates?: string }) => {
      const handles = { ...defaultTpmHandles, ek: tpmHandle('--ek-handle', o.ekHandle) };
      const source: EkCertificateSource = {
        nvIndex: o.ekCertificateNv === 'auto' || o.ekCertificateNv === 'none' ? o.ekCertificateNv : tpmHandle('--ek-certificate-nv', o.ekCertificateNv),
        ...(o.ekIntermediates === undefined ? {} : { intermediates: await intermediatesFile(o.ekIntermediates) }),
      };
      const { config, store, ctx } = await openAgent(o.stateDir);
      ctx.est.close();
      const bound = await withAttestationApi(config, store, (api) =>
        registerTpmAttestationKey(api, new Tpm2Tools(o.tcti), handles, source),
      );
      process.stdout.write(`attestation key ${bound.id} bound to ${config.product}/${config.serial}\n`);
    });

  addAttestEvidenceOptions(
    program
      .command('attest')
      .description(
        "ask for a nonce, quote the boot PCRs over it with the TPM (or sign --claims with the identity key), send the evidence; prints the verifier's result",
      )
      .requiredOption('--state-dir <dir>', 'the agent state directory'),
  ).action(async (o: AttestEvidenceOptions & { stateDir: string }) => {
    const { config, store, ctx } = await openAgent(o.stateDir);
    ctx.est.close();
    const result = await attestationPass(config, store, o)();
    process.stdout.write(`${result.status} (${result.id})\n`);
  });
}
