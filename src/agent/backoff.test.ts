import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../testkit/seeded-random.ts';
import { backoffDelayMs, retryDelayMs, unitRandomFrom, type UnitRandom } from './backoff.ts';

/** Seeded, so the jitter is the same at every run. */
const seeded = (seed: number): UnitRandom => seededRandom(seed);

const policy = { baseMs: 1_000, capMs: 3_600_000 };

test('full jitter: each delay lies in [0, min(cap, base · 2^(n-1)))', () => {
  const random = seeded(42);
  for (let attempt = 1; attempt <= 30; attempt++) {
    const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
    for (let i = 0; i < 50; i++) {
      const d = backoffDelayMs(attempt, policy, random);
      assert.ok(d >= 0 && d < ceiling, `attempt ${attempt}: ${d} outside [0, ${ceiling})`);
    }
  }
});

test('the ceiling doubles until the cap, and the delays spread over it', () => {
  const random = seeded(7);
  const mean = (attempt: number): number => {
    let sum = 0;
    for (let i = 0; i < 2000; i++) sum += backoffDelayMs(attempt, policy, random);
    return sum / 2000;
  };
  // The mean of a uniform delay is half its ceiling (within a few percent over 2000 draws).
  assert.ok(Math.abs(mean(1) - 500) < 50);
  assert.ok(Math.abs(mean(4) - 4_000) < 400);
  assert.ok(Math.abs(mean(40) - 1_800_000) < 180_000);
});

test('the extremes of the random source give 0 and just under the ceiling', () => {
  assert.equal(
    backoffDelayMs(3, policy, () => 0),
    0,
  );
  assert.equal(
    backoffDelayMs(3, policy, () => 0.999999),
    3_999,
  );
  assert.equal(
    backoffDelayMs(1000, policy, () => 0.5),
    1_800_000,
  );
});

test('Retry-After is a floor, even above the cap; an absurd one is bounded to a day', () => {
  assert.equal(
    retryDelayMs(1, policy, () => 0.5, 30),
    30_000,
  );
  assert.equal(
    retryDelayMs(10, policy, () => 0.5, 1),
    256_000,
  );
  assert.equal(
    retryDelayMs(30, policy, () => 0.5, 7_200),
    7_200_000,
  );
  assert.equal(
    retryDelayMs(1, policy, () => 0, 10 ** 9),
    86_400_000,
  );
  assert.equal(
    retryDelayMs(1, policy, () => 0.5, undefined),
    500,
  );
});

test('unitRandomFrom maps the Random port onto [0, 1)', () => {
  assert.equal(unitRandomFrom({ bytes: (n) => new Uint8Array(n) })(), 0);
  const max = unitRandomFrom({ bytes: (n) => new Uint8Array(n).fill(0xff) })();
  assert.ok(max < 1 && max > 0.999999);
});
