// A throw-away PostgreSQL cluster for tests that need one of their own
// (e.g. multi-process tests): initdb into a temp dir, listen on a random free
// loopback port, unix socket in the temp dir, trust auth. When running as root
// the cluster runs as the `postgres` user (initdb refuses root).
import { execFile, execFileSync } from 'node:child_process';
import { chmod, chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freeLoopbackPort } from '../../src/testkit/free-port.ts';

const run = promisify(execFile);

export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  stop(): Promise<void>;
}

async function postgresBinDir(): Promise<string> {
  const base = '/usr/lib/postgresql';
  let versions: string[] = [];
  try {
    versions = (await readdir(base)).filter((v) => /^\d+/.test(v));
  } catch {
    // fall through to PATH
  }
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  for (const v of versions) {
    const dir = join(base, v, 'bin');
    try {
      await run(join(dir, 'initdb'), ['--version']);
      return dir;
    } catch {
      // try the next one
    }
  }
  try {
    const { stdout } = await run('pg_config', ['--bindir']);
    return stdout.trim();
  } catch {
    throw new Error('PostgreSQL server binaries not found (install the Debian package `postgresql`)');
  }
}


const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** The command and arguments that run `argv` as the cluster owner. */
function asPostgres(argv: string[]): [string, string[]] {
  if (!isRoot) return [argv[0]!, argv.slice(1)];
  try {
    execFileSync('runuser', ['--help'], { stdio: 'ignore' });
    return ['runuser', ['-u', 'postgres', '--', ...argv]];
  } catch {
    const quoted = argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
    return ['su', ['postgres', '-s', '/bin/sh', '-c', quoted]];
  }
}

async function runAsPostgres(argv: string[]): Promise<void> {
  const [command, args] = asPostgres(argv);
  try {
    await run(command, args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${argv.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: error });
  }
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  return { uid, gid };
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = await postgresBinDir();
  const dir = await mkdtemp(join(tmpdir(), 'trustplane-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const pgCtl = join(bin, 'pg_ctl');
  let running = false;

  const stopSync = (): void => {
    if (running) {
      running = false;
      try {
        const [command, args] = asPostgres([pgCtl, '-D', data, '-m', 'immediate', '-w', 'stop']);
        execFileSync(command, args, { stdio: 'ignore' });
      } catch {
        // best effort at process exit
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopSync);

  try {
    if (isRoot) {
      const { uid, gid } = await postgresIds();
      await chown(dir, uid, gid);
      await chmod(dir, 0o700);
    }
    await runAsPostgres([join(bin, 'initdb'), '-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);

    // The port can be taken between picking and binding: retry a few times.
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freeLoopbackPort();
      const options = [
        '-c listen_addresses=127.0.0.1',
        `-p ${port}`,
        `-k ${dir}`,
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=200',
      ].join(' ');
      try {
        await runAsPostgres([pgCtl, '-D', data, '-l', logFile, '-w', '-t', '60', '-o', options, 'start']);
        running = true;
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }

    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      async stop(): Promise<void> {
        process.removeListener('exit', stopSync);
        if (running) {
          running = false;
          await runAsPostgres([pgCtl, '-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    process.removeListener('exit', stopSync);
    stopSync();
    throw error;
  }
}
