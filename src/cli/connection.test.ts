import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CliError } from './cli-error.ts';
import { defaultServerUrl, resolveServerUrl, resolveToken } from './connection.ts';

test('server URL: --url, then TRUSTPLANE_URL, then the default; a non-URL is a usage error', () => {
  assert.equal(resolveServerUrl({ url: 'http://a:1' }, { TRUSTPLANE_URL: 'http://b:2' }), 'http://a:1');
  assert.equal(resolveServerUrl({}, { TRUSTPLANE_URL: 'http://b:2' }), 'http://b:2');
  assert.equal(resolveServerUrl({}, {}), defaultServerUrl);
  assert.throws(
    () => resolveServerUrl({ url: 'nope' }, {}),
    (e) => e instanceof CliError && e.exitCode === 1,
  );
  assert.throws(() => resolveServerUrl({ url: 'ftp://x' }, {}), CliError);
});

test('token: --token, then TRUSTPLANE_TOKEN, then <home>/admin-token trimmed', async () => {
  const home = await mkdtemp(join(tmpdir(), 'tp-cli-'));
  try {
    await writeFile(join(home, 'admin-token'), '  secret-from-file\n');
    assert.equal(await resolveToken({ token: 'flag', home }, { TRUSTPLANE_TOKEN: 'env' }), 'flag');
    assert.equal(await resolveToken({ home }, { TRUSTPLANE_TOKEN: 'env' }), 'env');
    assert.equal(await resolveToken({ home }, {}), 'secret-from-file');
    assert.equal(await resolveToken({}, { TRUSTPLANE_HOME: home }), 'secret-from-file');
    await assert.rejects(
      resolveToken({ home: join(home, 'absent') }, {}),
      (e) => e instanceof CliError && e.exitCode === 1,
    );
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('token file: --token-file, TRUSTPLANE_TOKEN_FILE; a flag wins over the environment; value and file together refused', async () => {
  const home = await mkdtemp(join(tmpdir(), 'tp-cli-'));
  try {
    const flagFile = join(home, 'flag-token');
    const envFile = join(home, 'env-token');
    await writeFile(flagFile, 'from-flag-file\n', { mode: 0o600 });
    await writeFile(envFile, ' from-env-file \n', { mode: 0o600 });
    await writeFile(join(home, 'admin-token'), 'from-home\n');
    assert.equal(await resolveToken({ tokenFile: flagFile, home }, { TRUSTPLANE_TOKEN: 'env' }), 'from-flag-file');
    assert.equal(await resolveToken({ home }, { TRUSTPLANE_TOKEN_FILE: envFile }), 'from-env-file');
    assert.equal(await resolveToken({ tokenFile: flagFile }, { TRUSTPLANE_TOKEN_FILE: envFile }), 'from-flag-file');
    assert.equal(await resolveToken({ token: 'flag' }, { TRUSTPLANE_TOKEN_FILE: envFile }), 'flag');
    const usage = (e: unknown): boolean => e instanceof CliError && e.exitCode === 1;
    await assert.rejects(resolveToken({ token: 'flag', tokenFile: flagFile }, {}), usage);
    await assert.rejects(resolveToken({}, { TRUSTPLANE_TOKEN: 'env', TRUSTPLANE_TOKEN_FILE: envFile }), usage);
    await assert.rejects(resolveToken({ tokenFile: join(home, 'absent') }, {}), usage);
    await writeFile(join(home, 'empty'), '\n');
    await assert.rejects(resolveToken({ tokenFile: join(home, 'empty') }, {}), usage);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
