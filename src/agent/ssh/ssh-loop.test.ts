import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { encodeKrl, formatSshPublicKey, sshPublicKeyFromKeyObject } from '../../ssh/index.ts';
import { runSshLoop } from './ssh-loop.ts';
import { SshApiStandIn, unreachable } from './testing/ssh-api-stand-in.ts';

test("run --ssh: a pass every krlRefreshSeconds (±10 %), sooner after a failure, never later than the interval", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tp-ssh-loop-'));
  const caKey = sshPublicKeyFromKeyObject(generateKeyPairSync('ed25519').publicKey);
  const api = new SshApiStandIn();
  api.configAnswer = { userCaKeys: [formatSshPublicKey(caKey)], principals: ['device:sku-1:0001'], krlRefreshSeconds: 120 };
  const clock = new FakeClock();
  const waits: number[] = [];
  const stop = new AbortController();
  const answers = [unreachable(), encodeKrl({ caKey, serials: [1n], version: 1n, generatedAt: clock.now() }), unreachable()];
  try {
    await runSshLoop({
      duties: { trustDir: join(dir, 'ssh'), product: 'sku-1', serial: '0001', positionFile: join(dir, 'pos.json') },
      connect: () => {
        api.krlAnswer = answers[waits.length]!;
        return Promise.resolve(api);
      },
      clock,
      sleep: (ms) => {
        waits.push(ms);
        clock.advance(ms);
        if (waits.length === answers.length) stop.abort();
        return Promise.resolve();
      },
      signal: stop.signal,
      random: () => 0.5,
      log: () => undefined,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // 1: the KRL unreachable: the first backoff (half of 10 s with this random); 2: all well: the
  // server's 120 s; 3: unreachable again: backoff again, from the first step.
  assert.deepEqual(waits, [5_000, 120_000, 5_000]);
});
