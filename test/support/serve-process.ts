/**
 * The real `trustplane` binary in child processes: `serve` on a loopback port, and CLI runs
 * against it. Always asynchronous (a blocking child would stall an in-process server).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNodeScript, type ScriptRun } from '../../src/testkit/node-script.ts';

export const trustplaneBin = fileURLToPath(new URL('../../bin/trustplane.js', import.meta.url));

export type CliRun = ScriptRun;

/** Runs `trustplane …`; never throws on a non-zero exit. */
export function runCli(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  return runNodeScript(trustplaneBin, args, options);
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address !== 'object') throw new Error('no free port');
  return address.port;
}

/** `trustplane serve --home HOME --listen 127.0.0.1:PORT --public-url URL`, up when /healthz and the token file are. */
export class ServeProcess {
  readonly url: string;
  readonly home: string;
  readonly port: number;
  token = '';
  log = '';
  readonly #child: ChildProcess;

  private constructor(home: string, port: number, child: ChildProcess) {
    this.home = home;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.#child = child;
    child.stdout?.on('data', (b: Buffer) => (this.log += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (this.log += b.toString()));
  }

  /** The EST listener, https://127.0.0.1:PORT (its TLS certificate chains to the root); undefined when off. */
  estUrl: string | undefined;

  static async start(options: { home: string; port?: number; estPort?: number | 'off'; cwd?: string; env?: Record<string, string> }): Promise<ServeProcess> {
    const port = options.port ?? (await freePort());
    const estPort = options.estPort ?? (await freePort());
    const url = `http://127.0.0.1:${port}`;
    const estListen = estPort === 'off' ? 'off' : `127.0.0.1:${estPort}`;
    const child = spawn(process.execPath, [trustplaneBin, 'serve', '--home', options.home, '--listen', `127.0.0.1:${port}`, '--public-url', url, '--est-listen', estListen], {
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const serve = new ServeProcess(options.home, port, child);
    serve.estUrl = estPort === 'off' ? undefined : `https://127.0.0.1:${estPort}`;
    await serve.#ready();
    return serve;
  }

  get exited(): boolean {
    return this.#child.exitCode !== null || this.#child.signalCode !== null;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.kill('SIGTERM');
    await gone;
  }

  async #ready(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`serve exited (${this.#child.exitCode ?? this.#child.signalCode})\n${this.log}`);
      try {
        const res = await fetch(`${this.url}/healthz`);
        if (res.ok) this.token = (await readFile(join(this.home, 'admin-token'), 'utf8')).trim();
        if (this.token !== '') return;
      } catch {
        // not listening, or no token file, yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`serve did not answer /healthz within 30 s\n${this.log}`);
  }
}
