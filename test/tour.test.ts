/**
 * Issue 10 §6: the README's tour is runnable as written. docs/tour.sh runs it end to end with the
 * real `trustplane` and `trustplane-agent` (linked onto PATH as `npm link` does), openssl and curl,
 * against a fresh server it starts on loopback; the README's tour blocks are the script's steps.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { readmeFile, readmeTourBlocks, tourScript, tourSections } from './support/tour-readme.ts';

test('the README shows exactly the steps of docs/tour.sh', async () => {
  const sections = tourSections(await readFile(tourScript, 'utf8'));
  const blocks = readmeTourBlocks(await readFile(readmeFile, 'utf8'));
  assert.ok(sections.size >= 5, 'docs/tour.sh has its tour sections');
  assert.deepEqual([...blocks.keys()], [...sections.keys()], 'the README has one block per section, in order');
  for (const [name, body] of sections)
    assert.equal(
      blocks.get(name),
      body,
      `README tour block ${name} differs: run node test/support/tour-readme.ts --write`,
    );
});

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

test('docs/tour.sh runs end to end against a fresh server', { timeout: 600_000 }, async () => {
  const bin = await mkdtemp(join(tmpdir(), 'tp-tour-bin-'));
  try {
    // What `npm link` puts on PATH; `#!/usr/bin/env node` then finds this test's Node first.
    for (const name of ['trustplane', 'trustplane-agent'])
      await symlink(fileURLToPath(new URL(`../bin/${name}.js`, import.meta.url)), join(bin, name));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: [bin, dirname(process.execPath), process.env.PATH].join(':'),
    };
    for (const key of [
      'TRUSTPLANE_URL',
      'TRUSTPLANE_TOKEN',
      'TRUSTPLANE_TOKEN_FILE',
      'TRUSTPLANE_HOME',
      'DATABASE_URL',
      'TOUR_KEEP',
    ])
      delete env[key];
    const { code, out } = await run('bash', [tourScript], env);
    assert.equal(code, 0, `docs/tour.sh failed:\n${out.slice(-6000)}`);
    // What the tour shows, as openssl and the tools print it.
    for (const line of [
      /^device\.pem: OK$/m, // chain verified
      /^device\.pem: good$/m, // OCSP before revocation
      /^device-2\.pem: revoked$/m, // OCSP after revocation
      /^d-renewed\.pem: OK$/m, // EST simpleenroll by curl, then simplereenroll
      /^enrolled gw-100\/SN-00002: /m, // the agent with a token file
      /^enrolled gw-100\/SN0002: /m, // the agent with an IDevID
      /^devices +20 succeeded, 0 failed$/m, // simulate with --token-file
      /^enrolled gw-100\/SN0001: /m, // the revoked device, after the operator's decision
      /device\.reprovision-authorised[\s\S]*device\.reprovisioned/, // its history: the decision, then the enrollment
      /it extends your checkpoint at size \d+$/m,
      /^OK: event 3 is in the log/m,
      /^== tour complete$/m,
    ])
      assert.match(out, line);
  } finally {
    await rm(bin, { recursive: true, force: true });
  }
});
