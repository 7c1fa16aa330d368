import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AgentError } from '../agent-error.ts';
import { secretFrom } from './secret-source.ts';

const names = { valueName: '--token', fileName: '--token-file' } as const;
const env = { value: 'TP_T', file: 'TP_T_FILE' } as const;
const usage = (e: unknown): boolean => e instanceof AgentError && e.exitCode === 1 && !e.message.includes('s3cret');

test('a secret: flag value or flag file, then the environment; value and file together refused; the file trimmed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tp-agent-secret-'));
  try {
    const file = join(dir, 'token');
    await writeFile(file, 's3cret-file\n', { mode: 0o600 });
    assert.equal(await secretFrom({ ...names, value: 'flag', env }, { TP_T_FILE: file }), 'flag');
    assert.equal(await secretFrom({ ...names, file, env }, { TP_T: 'env' }), 's3cret-file');
    assert.equal(await secretFrom({ ...names, env }, { TP_T: 'env' }), 'env');
    assert.equal(await secretFrom({ ...names, env }, { TP_T_FILE: file }), 's3cret-file');
    assert.equal(await secretFrom({ ...names, env }, {}), undefined);
    assert.equal(await secretFrom({ ...names }, { TP_T: 'env' }), undefined, 'no environment unless asked');
    await assert.rejects(secretFrom({ ...names, value: 's3cret', file }), usage);
    await assert.rejects(secretFrom({ ...names, env }, { TP_T: 's3cret', TP_T_FILE: file }), usage);
    await assert.rejects(secretFrom({ ...names, file: join(dir, 'absent') }), usage);
    await writeFile(join(dir, 'empty'), ' \n');
    await assert.rejects(secretFrom({ ...names, file: join(dir, 'empty') }), usage);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
