/**
 * The real `trustplane` binary in child processes: `serve` on a loopback port, and CLI runs
 * against it. Always asynchronous (a blocking child would stall an in-process server).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNodeScript, type ScriptRun } from '../../src/testkit/node-script.ts';

const READY_TIMEOUT_MS = 120_000;

export const trustplaneBin = fileURLToPath(new URL('../../bin/trustplane.js', import.meta.url));

export type CliRun = ScriptRun;

/** Runs `trustplane …`; never throws on a non-zero exit. */
export function runCli(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  return runNodeScript(trustplaneBin, args, options);
}

import { freeLoopbackPort as freePort } from '../../src/testkit/free-port.ts';

export { freePort };

/** `trustplane serve …` run to its end: for starts that must fail. */
export function runServe(options: { home: string; port: number; estPort: number | 'off'; env?: Record<string, string> }): Promise<CliRun> {
  return runCli(serveArgs(options.home, options.port, options.estPort), options.env ? { env: options.env } : {});
}

function serveArgs(home: string, port: number, estPort: number | 'off'): string[] {
  const estListen = estPort === 'off' ? 'off' : `127.0.0.1:${estPort}`;
  return ['serve', '--home', home, '--listen', `127.0.0.1:${port}`, '--public-url', `http://127.0.0.1:${port}`, '--est-listen', estListen];
}

/** `trustplane serve --home HOME --listen 127.0.0.1:PORT --public-url URL`, up when /healthz and the token file are. */
export class ServeProcess {
  readonly url: string;
  readonly home: string;
  readonly port: number;
  token = '';
  log = '';
  /** stderr alone: the start, stop and failure lines */
  stderr = '';
  readonly #child: ChildProcess;
  /** code and signal, once the process has exited */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(home: string, port: number, child: ChildProcess) {
    this.home = home;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.#child = child;
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.stdout?.on('data', (b: Buffer) => (this.log += b.toString()));
    child.stderr?.on('data', (b: Buffer) => {
      this.log += b.toString();
      this.stderr += b.toString();
    });
  }

  get pid(): number {
    if (this.#child.pid === undefined) throw new Error('serve did not start');
    return this.#child.pid;
  }

  /** The EST listener, https://127.0.0.1:PORT (its TLS certificate chains to the root); undefined when off. */
  estUrl: string | undefined;

  /**
   * `token`: the admin token to use, for a server that finds a root of trust made elsewhere (a
   * second server on one PostgreSQL database); otherwise the home's token file, written when the
   * root of trust is created.
   */
  static async start(options: { home: string; port?: number; estPort?: number | 'off'; cwd?: string; env?: Record<string, string>; token?: string }): Promise<ServeProcess> {
    const serve = await ServeProcess.launch(options);
    try {
      await serve.#ready();
    } catch (e) {
      // Not left running: nobody would stop it, and it would hold the home's lock.
      serve.signal('SIGKILL');
      await serve.exit;
      throw e;
    }
    return serve;
  }

  /** As `start`, without waiting for the server to answer: for what happens during a start. */
  static async launch(options: { home: string; port?: number; estPort?: number | 'off'; cwd?: string; env?: Record<string, string>; token?: string }): Promise<ServeProcess> {
    const port = options.port ?? (await freePort());
    const estPort = options.estPort ?? (await freePort());
    const child = spawn(process.execPath, [trustplaneBin, ...serveArgs(options.home, port, estPort)], {
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const serve = new ServeProcess(options.home, port, child);
    if (options.token !== undefined) serve.token = options.token;
    serve.estUrl = estPort === 'off' ? undefined : `https://127.0.0.1:${estPort}`;
    return serve;
  }

  get exited(): boolean {
    return this.#child.exitCode !== null || this.#child.signalCode !== null;
  }

  /** A JSON call to the API with a bearer token (this server's own unless given); the status and the parsed body. */
  async api(method: string, path: string, body?: unknown, token: string = this.token): Promise<{ status: number; body: any }> {
    const res = await fetch(this.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    this.#child.kill('SIGTERM');
    await this.exit;
  }

  signal(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  /** Resolves when stderr has a line matching `pattern`; rejects if the process exits first. */
  async waitForLine(pattern: RegExp): Promise<void> {
    while (!pattern.test(this.stderr)) {
      if (this.exited) throw new Error(`serve exited before printing ${pattern}\n${this.log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async #ready(): Promise<void> {
    // Generous: a first start (the embedded store, the root CA) takes 30 s and more on a loaded machine.
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`serve exited (${this.#child.exitCode ?? this.#child.signalCode})\n${this.log}`);
      try {
        const res = await fetch(`${this.url}/healthz`);
        if (res.ok) {
          if (this.token === '') this.token = (await readFile(join(this.home, 'admin-token'), 'utf8')).trim();
          if (this.token !== '') return;
        }
      } catch {
        // not listening, or no token file, yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`serve did not answer /healthz within ${READY_TIMEOUT_MS / 1000} s\n${this.log}`);
  }
}
