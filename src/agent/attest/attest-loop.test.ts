import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentError } from '../agent-error.ts';
import { runAttestLoop } from './attest-loop.ts';
import type { AttestationAnswer } from './device-attestation-api.ts';

test('run --attest: a pass every interval (±10 %), sooner after a failure or a refusal, which is logged and not fatal', async () => {
  const refusal = new AgentError(
    'refused',
    'ATTESTATION_FIRMWARE_UNKNOWN',
    'the running firmware is no release of the product',
    { httpStatus: 422 },
  );
  const unreachable = new AgentError('unreachable', 'UNREACHABLE', 'connect ECONNREFUSED');
  const passes: (AttestationAnswer | AgentError)[] = [
    { id: 'ar_1', status: 'affirming' },
    unreachable,
    refusal,
    { id: 'ar_2', status: 'warning' },
  ];
  const waits: number[] = [];
  const lines: string[] = [];
  const stop = new AbortController();
  await runAttestLoop({
    attest: () => {
      const next = passes[waits.length]!;
      return next instanceof AgentError ? Promise.reject(next) : Promise.resolve(next);
    },
    intervalMs: 3_600_000,
    sleep: (ms) => {
      waits.push(ms);
      if (waits.length === passes.length) stop.abort();
      return Promise.resolve();
    },
    signal: stop.signal,
    random: () => 0.5,
    log: (line) => lines.push(line),
  });
  // 1: affirming: the interval; 2: unreachable: the first backoff step (half of 10 s with this
  // random); 3: refused: the second step (half of 20 s); 4: a result again: the interval.
  assert.deepEqual(waits, [3_600_000, 5_000, 10_000, 3_600_000]);
  const results = lines.filter((l) => !l.includes('next pass'));
  assert.equal(results[0], 'attest: affirming (ar_1)');
  assert.match(results[1]!, /^attest: failed: .*ECONNREFUSED/);
  assert.match(results[2]!, /^attest: refused: .*ATTESTATION_FIRMWARE_UNKNOWN/);
  assert.equal(results[3], 'attest: warning (ar_2)');
});
