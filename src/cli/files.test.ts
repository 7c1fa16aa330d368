import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CliError } from './cli-error.ts';
import { SecretFile } from './files.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tp-secret-file-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const usage = (e: unknown): boolean => e instanceof CliError && e.exitCode === 1;

test('a secret file is written whole with mode 0600, and no temp file is left', async () => {
  const path = join(dir, 'tokens.csv');
  const file = await SecretFile.prepare(path, { force: false });
  await file.commit('a,b\n');
  assert.equal(await readFile(path, 'utf8'), 'a,b\n');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.deepEqual(await readdir(dir), ['tokens.csv']);
});

test('an existing file is refused before anything is made, unless forced', async () => {
  const path = join(dir, 'existing.csv');
  await writeFile(path, 'old', { mode: 0o644 });
  await assert.rejects(SecretFile.prepare(path, { force: false }), (e) => usage(e) && /--force/.test(String(e)));
  const forced = await SecretFile.prepare(path, { force: true });
  await forced.commit('new');
  assert.equal(await readFile(path, 'utf8'), 'new');
  assert.equal((await stat(path)).mode & 0o777, 0o600, 'the replaced file has the secret mode too');
});

test('a file that appears between prepare and commit is not clobbered', async () => {
  const path = join(dir, 'race.csv');
  const file = await SecretFile.prepare(path, { force: false });
  await writeFile(path, 'theirs');
  await assert.rejects(file.commit('ours'), usage);
  assert.equal(await readFile(path, 'utf8'), 'theirs');
  assert.ok(!(await readdir(dir)).some((n) => n.endsWith('.tmp')), 'the temp file is removed');
});

test('discard removes the temp file; an unwritable directory is a usage error', async () => {
  const file = await SecretFile.prepare(join(dir, 'discarded.csv'), { force: false });
  await file.discard();
  assert.ok(!(await readdir(dir)).some((n) => n.includes('discarded')));
  await assert.rejects(SecretFile.prepare(join(dir, 'no-such-dir', 't.csv'), { force: false }), usage);
});
