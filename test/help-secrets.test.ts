/**
 * Issue 10 §6: help text never shows a secret. `--help` of every command of both real binaries,
 * run with secrets in the environment (tokens, token files, the KEK, a database password), must
 * print none of them — commander prints an option's default, so a secret read from the
 * environment as a default used to appear in `trustplane-agent simulate --help`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { Command } from 'commander';
import { buildAgentProgram } from '../src/agent/cli/agent-program.ts';
import { buildProgram } from '../src/cli/program.ts';
import { runNodeScript, type ScriptRun } from '../src/testkit/node-script.ts';

const bins = {
  trustplane: { script: fileURLToPath(new URL('../bin/trustplane.js', import.meta.url)), program: buildProgram },
  'trustplane-agent': {
    script: fileURLToPath(new URL('../bin/trustplane-agent.js', import.meta.url)),
    program: buildAgentProgram,
  },
};

/** Every command path of a program, the program itself first: [], ['device'], ['device', 'enroll'], … */
function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return [prefix, ...command.commands.flatMap((c) => commandPaths(c, [...prefix, c.name()]))];
}

const secrets = {
  api: 'tpa_HELPSECRETapi0000000000000000000000000',
  inFile: 'tpa_HELPSECRETfile000000000000000000000000',
  kek: Buffer.alloc(32, 0x5a).toString('base64'),
  dbPassword: 'HELPSECRETdbpassword',
};
let dir = '';
let env: Record<string, string> = {};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tp-help-'));
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, `${secrets.inFile}\n`, { mode: 0o600 });
  env = {
    TRUSTPLANE_TOKEN: secrets.api,
    TRUSTPLANE_TOKEN_FILE: tokenFile,
    TRUSTPLANE_KEK: secrets.kek,
    DATABASE_URL: `postgres://trustplane:${secrets.dbPassword}@127.0.0.1:1/trustplane`,
    TRUSTPLANE_HOME: dir,
  };
});
after(() => rm(dir, { recursive: true, force: true }));

/** Runs the jobs two at a time: the machine has two cores. */
async function inPairs<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < jobs.length; i += 2) out.push(...(await Promise.all(jobs.slice(i, i + 2).map((j) => j()))));
  return out;
}

for (const [name, bin] of Object.entries(bins)) {
  test(`${name}: --help of every command shows no secret from the environment`, async () => {
    const paths = commandPaths(bin.program());
    assert.ok(paths.length > 3, `${name} has commands`);
    const runs = await inPairs(
      paths.map((path) => async (): Promise<[string[], ScriptRun]> => [
        path,
        await runNodeScript(bin.script, [...path, '--help'], { cwd: dir, env }),
      ]),
    );
    for (const [path, run] of runs) {
      const shown = `${name} ${path.join(' ')} --help`;
      assert.equal(run.code, 0, `${shown} exits 0\n${run.stderr}`);
      assert.match(run.stdout, /Usage:/, `${shown} prints its usage`);
      const text = run.stdout + run.stderr;
      for (const [what, secret] of Object.entries(secrets))
        assert.ok(!text.includes(secret), `${shown} shows the ${what} secret:\n${text}`);
    }
  });
}

test('the commands that take a token name a file form of it', async () => {
  for (const [name, bin, path] of [
    ['trustplane', bins.trustplane, []],
    ['trustplane-agent', bins['trustplane-agent'], ['simulate']],
    ['trustplane-agent', bins['trustplane-agent'], ['enroll']],
  ] as const) {
    const run = await runNodeScript(bin.script, [...path, '--help'], { cwd: dir, env });
    assert.match(run.stdout, /--token-file <file>/, `${name} ${path.join(' ')} --help`);
  }
});
