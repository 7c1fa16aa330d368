/**
 * A software TPM 2.0 (swtpm, libtpms) on loopback TCP for the attestation tests: a fresh state
 * directory each time, started already initialised (not-need-init, startup-clear) so tpm2-tools
 * reach it at once through TPM2TOOLS_TCTI=swtpm:host=127.0.0.1,port=P (control channel on P+1,
 * where the TCTI looks for it). Stopped by its pid.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provisionAttestationKey, Tpm2Tools, type AttestationKeyPublics } from '../../src/agent/attest/index.ts';
import { freeLoopbackPort } from '../../src/testkit/free-port.ts';

/**
 * How the TPM goes down and comes back (TPM 2.0 Part 3 §9.3 TPM2_Startup, §9.4 TPM2_Shutdown):
 * - `reset`: Shutdown(CLEAR), Startup(CLEAR), a reboot: resetCount + 1, restartCount 0, PCRs cleared;
 * - `restart`: Shutdown(STATE), Startup(CLEAR): restartCount + 1, PCRs cleared;
 * - `resume`: Shutdown(STATE), Startup(STATE), a resume from hibernation: restartCount + 1, PCRs kept.
 * Each is orderly: TPM2_Shutdown makes the TPM write its state (Clock, the counters, for STATE the
 * PCRs and the rest of what Startup(STATE) restores) into NV, which swtpm writes to the state
 * directory before it answers; so the directory copied while the TPM is off is a whole state, and
 * the counters and Clock the TPM comes back with follow from it alone, not from what swtpm had
 * happened to persist when it was stopped (without an orderly shutdown the TPM saves Clock only
 * every 2^22 ms, the reference code's NV_CLOCK_UPDATE_INTERVAL).
 * Startup(STATE) needs the state a Shutdown(STATE) saved: it fails (TPM_RC_VALUE) after a reset.
 */
export type PowerCycle = 'reset' | 'restart' | 'resume';

export interface Swtpm {
  /** The TCTI string tpm2-tools and the agent's Tpm2Tools take. */
  readonly tcti: string;
  readonly port: number;
  /** tpm2-tools (the agent's driver) on the current TCTI, which a power cycle changes. */
  readonly tools: Tpm2Tools;
  /** With `ekCertificate`: the test CA that issued the EK certificate, root and issuing CA (PEM). */
  readonly ekCa?: { readonly root: string; readonly issuer: string };
  /** The directory of its NV state (--tpmstate). */
  readonly stateDir: string;
  /**
   * Power-cycles the TPM on its state, orderly (`cycle`, see PowerCycle): TPM2_Shutdown, swtpm
   * stopped, `whileOff` run (to copy the state directory, or to put an older copy back), swtpm
   * started again and TPM2_Startup sent. The TCTI changes.
   */
  powerCycle(cycle: PowerCycle, whileOff?: (stateDir: string) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/** A swtpm with the agent's EK and AK at their default handles (provisionAttestationKey). */
export interface ProvisionedSwtpm extends Swtpm {
  readonly keys: AttestationKeyPublics;
}

/** NV index of the RSA 2048 EK certificate (TCG EK Credential Profile §2.2.1.4), where swtpm_setup writes it. */
export const RSA_EK_CERTIFICATE_NV_INDEX = 0x01c00002;
/** Persistent handle of the RSA 2048 EK that swtpm_setup creates. */
export const RSA_EK_HANDLE = 0x81010001;
/** swtpm_setup --ecc: an ECC P-384 EK (a high-range template: SHA-384 names, AES-256) and its certificate's NV index. */
export const ECC_P384_EK_HANDLE = 0x81010016;
export const ECC_P384_EK_CERTIFICATE_NV_INDEX = 0x01c00016;

/**
 * Manufactures the TPM as a vendor would (swtpm_setup): an RSA 2048 EK at 0x81010001 and an ECC
 * P-384 EK at 0x81010016, each with its certificate in NV, issued by swtpm_localca from a CA made
 * in the temp directory, not the system's /var/lib/swtpm-localca.
 */
async function manufacture(dir: string, stateDir: string): Promise<{ root: string; issuer: string }> {
  const caDir = join(dir, 'ca');
  await mkdir(caDir);
  await writeFile(
    join(dir, 'localca.conf'),
    [
      `statedir = ${caDir}`,
      `signingkey = ${caDir}/signkey.pem`,
      `issuercert = ${caDir}/issuercert.pem`,
      `certserial = ${caDir}/certserial`,
      '',
    ].join('\n'),
  );
  await writeFile(join(dir, 'localca.options'), '--platform-manufacturer trustplane-test\n');
  await writeFile(
    join(dir, 'setup.conf'),
    [
      'create_certs_tool = /usr/bin/swtpm_localca',
      `create_certs_tool_config = ${dir}/localca.conf`,
      `create_certs_tool_options = ${dir}/localca.options`,
      'active_pcr_banks = sha256',
      '',
    ].join('\n'),
  );
  await promisify(execFile)('swtpm_setup', [
    '--tpm2',
    '--tpmstate',
    stateDir,
    '--create-ek-cert',
    '--ecc',
    '--config',
    join(dir, 'setup.conf'),
    '--overwrite',
  ]);
  return {
    root: await readFile(join(caDir, 'swtpm-localca-rootca-cert.pem'), 'utf8'),
    issuer: await readFile(join(caDir, 'issuercert.pem'), 'utf8'),
  };
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** A running swtpm process; `startup-clear` for a fresh TPM, none after a power cycle (TPM2_Startup is then sent by tpm2-tools). */
interface SwtpmProcess {
  readonly tcti: string;
  readonly port: number;
  stop(): Promise<void>;
}

async function startOnce(
  dir: string,
  flags: 'not-need-init,startup-clear' | 'not-need-init',
): Promise<SwtpmProcess | undefined> {
  // The swtpm TCTI of tpm2-tss finds the control channel at port + 1. Linux gives bind(0) an odd
  // port and prefers even ones for outgoing connections, so port + 1 is often some client's
  // (about one in twenty on a busy test machine): it is looked at before swtpm is asked to bind it.
  const port = await freeLoopbackPort();
  const ctrlPort = port + 1;
  if (ctrlPort > 65535 || !(await canListen(ctrlPort))) return undefined;
  const child = spawn(
    'swtpm',
    [
      'socket',
      '--tpm2',
      '--server',
      `type=tcp,port=${port},bindaddr=127.0.0.1`,
      '--ctrl',
      `type=tcp,port=${ctrlPort},bindaddr=127.0.0.1`,
      '--tpmstate',
      `dir=${dir}`,
      '--flags',
      flags,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  // The ports were free a moment ago; another process may have taken one (then swtpm exits).
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) {
      if (/address already in use/i.test(stderr)) return undefined;
      throw new Error(`swtpm exited with ${child.exitCode}: ${stderr.trim()}`);
    }
    if ((await accepts(port)) && (await accepts(ctrlPort))) {
      return {
        tcti: `swtpm:host=127.0.0.1,port=${port}`,
        port,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
            process.kill(child.pid, 'SIGTERM');
          await exited(child);
        },
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  await exited(child);
  throw new Error(`swtpm did not listen on 127.0.0.1:${port}: ${stderr.trim()}`);
}

/** Starts a fresh swtpm (manufactured with an EK certificate if asked); `stop()` ends it and removes its state. */
export async function startSwtpm(options: { ekCertificate?: boolean } = {}): Promise<Swtpm> {
  const dir = await mkdtemp(join(tmpdir(), 'tp-swtpm-'));
  const stateDir = join(dir, 'state');
  try {
    await mkdir(stateDir);
    const ekCa = options.ekCertificate === true ? await manufacture(dir, stateDir) : undefined;
    let tpm = await startOnPorts(stateDir, 'not-need-init,startup-clear');
    let tools = new Tpm2Tools(tpm.tcti);
    return {
      get tcti() {
        return tpm.tcti;
      },
      get port() {
        return tpm.port;
      },
      get tools() {
        return tools;
      },
      ...(ekCa === undefined ? {} : { ekCa }),
      stateDir,
      powerCycle: async (cycle, whileOff) => {
        await tools.run('tpm2_shutdown', cycle === 'reset' ? ['-c'] : []);
        await tpm.stop();
        await whileOff?.(stateDir);
        tpm = await startOnPorts(stateDir, 'not-need-init');
        tools = new Tpm2Tools(tpm.tcti);
        await tools.run('tpm2_startup', cycle === 'resume' ? [] : ['-c']);
      },
      stop: async () => {
        await tpm.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** swtpm on a free port pair: another process may take a port between the look and the bind, then again. */
async function startOnPorts(stateDir: string, flags: Parameters<typeof startOnce>[1]): Promise<SwtpmProcess> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const started = await startOnce(stateDir, flags);
    if (started !== undefined) return started;
  }
  throw new Error('no free loopback port pair (P, P+1) for swtpm after 20 attempts');
}

/** A fresh swtpm with the agent's EK and AK provisioned: where the quote and credential tests begin. */
export async function startProvisionedSwtpm(): Promise<ProvisionedSwtpm> {
  const tpm = await startSwtpm();
  try {
    return Object.assign(tpm, { keys: await provisionAttestationKey(tpm.tools) });
  } catch (e) {
    await tpm.stop();
    throw e;
  }
}

/**
 * Writes `bytes` into a new NV index as a TPM's manufacturer does (TPM2_NV_DefineSpace and
 * TPM2_NV_Write under the platform hierarchy, whose authorization swtpm leaves empty), readable
 * with the index's own empty authorization, as swtpm_setup defines the EK certificate's index.
 */
export async function writeManufacturerNvIndex(tools: Tpm2Tools, index: number, bytes: Uint8Array): Promise<void> {
  await tools.withFiles(async (f) => {
    await writeFile(f('data'), bytes);
    const handle = `0x${index.toString(16)}`;
    await tools.run('tpm2_nvdefine', [handle, '-C', 'p', '-s', String(bytes.length), '-a', 'ppwrite|ppread|ownerread|authread|no_da|platformcreate']);
    await tools.run('tpm2_nvwrite', [handle, '-C', 'p', '-i', f('data')]);
  });
}
