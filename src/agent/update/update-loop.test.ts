import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { AgentError } from '../agent-error.ts';
import { inWindow, msUntilWindow, parseUpdateWindow, runUpdateLoop, type UpdateLoopOptions } from './update-loop.ts';
import type { UpdateResult } from './update-run.ts';

const HOUR = 3_600_000;

/** Runs the loop on a fake clock: each sleep moves the clock; it stops after `rounds` sleeps. */
async function loop(rounds: number, o: Partial<UpdateLoopOptions> & Pick<UpdateLoopOptions, 'policy'>, start = '2026-12-06T00:30:00Z') {
  const clock = new FakeClock(start);
  const stop = new AbortController();
  const log: string[] = [];
  const sleeps: number[] = [];
  const installs: string[] = [];
  let checks = 0;
  await runUpdateLoop({
    intervalMs: HOUR,
    window: undefined,
    clock,
    random: () => 0.5,
    log: (l) => log.push(l),
    check: () => {
      checks += 1;
      return Promise.resolve('2.4.1');
    },
    install: () => {
      installs.push(clock.now().toISOString());
      return Promise.resolve({ outcome: 'up-to-date', installed: undefined } satisfies UpdateResult);
    },
    ...o,
    signal: stop.signal,
    sleep: (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
      if (sleeps.length >= rounds) stop.abort();
      return Promise.resolve();
    },
  });
  return { log, sleeps, installs, checks: () => checks };
}

test('auto: an update pass every interval (±10 %, here the middle)', async () => {
  const { installs, sleeps } = await loop(3, { policy: 'auto' });
  assert.equal(installs.length, 3);
  assert.deepEqual(sleeps, [HOUR, HOUR, HOUR]);
});

test('auto with a window: installs wait for it; checks of the clock only outside it', async () => {
  const window = parseUpdateWindow('02:00-04:00');
  const { installs, log } = await loop(4, { policy: 'auto', window });
  // 00:30 → outside, sleep to 01:30 (interval) → outside, sleep to 02:00 → inside: install, then 03:00 install.
  assert.deepEqual(installs, ['2026-12-06T02:00:00.000Z', '2026-12-06T03:00:00.000Z']);
  assert.match(log[0]!, /next begins in 90 min/);
});

test('notify: it only says an update is assigned, and never installs', async () => {
  const { installs, log, checks } = await loop(2, { policy: 'notify' });
  assert.equal(installs.length, 0);
  assert.equal(checks(), 2);
  assert.match(log[0]!, /update 2\.4\.1 is assigned/);
});

test('a rejected update goes on at its interval; an unreachable server backs off', async () => {
  const rejected = await loop(2, { policy: 'auto', install: () => Promise.reject(new AgentError('rejected', 'MANIFEST_ROLLBACK', 'below the installed security version')) });
  assert.deepEqual(rejected.sleeps, [HOUR, HOUR]);
  assert.match(rejected.log[0]!, /update not installed/);
  const down = await loop(2, { policy: 'auto', install: () => Promise.reject(new AgentError('unreachable', 'UNREACHABLE', 'connection refused')) });
  assert.ok(down.sleeps.every((ms) => ms < HOUR), 'backoff, not the interval');
  assert.match(down.log[0]!, /update check failed \(attempt 1\)/);
});

test('windows: parsing, membership across midnight, time to the next start', () => {
  const night = parseUpdateWindow('22:00-04:00');
  assert.ok(inWindow(night, new Date('2026-12-06T23:30:00Z')));
  assert.ok(inWindow(night, new Date('2026-12-06T03:59:00Z')));
  assert.ok(!inWindow(night, new Date('2026-12-06T04:00:00Z')));
  assert.equal(msUntilWindow(night, new Date('2026-12-06T21:00:00Z')), HOUR);
  assert.equal(msUntilWindow(night, new Date('2026-12-06T22:00:00Z')), 24 * HOUR);
  for (const bad of ['2-4', '24:00-01:00', '02:00-02:00', '02:00 - 04:00']) assert.throws(() => parseUpdateWindow(bad), bad);
});
