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
