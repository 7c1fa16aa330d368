import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '../agent-error.ts';
import { sendReport } from './report-step.ts';
import type { UpdateApi, UpdateReport } from './update.types.ts';

function api(answers: (Error | { recorded: boolean })[]): UpdateApi & { calls: UpdateReport[] } {
  const calls: UpdateReport[] = [];
  return {
    calls,
    trust: () => Promise.reject(new Error('unused')),
    assignment: () => Promise.reject(new Error('unused')),
    report: (r) => {
      calls.push(r);
      const a = answers.shift()!;
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    },
  };
}
const report: UpdateReport = { releaseId: 'rel_1', outcome: 'rejected', reason: 'MANIFEST_ROLLBACK' };

describe('update step 6: reports', () => {
  it('retries an unreachable or overloaded server with backoff, honouring Retry-After', async () => {
    const sleeps: number[] = [];
    const a = api([
      new AgentError('unreachable', 'UNREACHABLE', 'down'),
      new AgentError('refused', 'OVERLOADED', 'busy', { httpStatus: 503, retryAfterSeconds: 30 }),
      { recorded: false },
    ]);
    const ok = await sendReport(a, report, {
      sleep: (ms) => Promise.resolve(void sleeps.push(ms)),
      random: () => 0.5,
      log: () => undefined,
    });
    assert.equal(ok, true);
    assert.equal(a.calls.length, 3);
    assert.deepEqual(a.calls[2], report, 'the same report, repeated as is');
    assert.equal(sleeps[0], 1_000);
    assert.equal(sleeps[1], 30_000);
  });
  it('gives up at once on a refusal, and after the attempts on a server that stays down; never throws', async () => {
    const refused = api([new AgentError('refused', 'VALIDATION_FAILED', 'no', { httpStatus: 400 })]);
    assert.equal(
      await sendReport(refused, report, { sleep: () => Promise.resolve(), random: () => 0, log: () => undefined }),
      false,
    );
    assert.equal(refused.calls.length, 1);
    const down = api(Array.from({ length: 5 }, () => new AgentError('unreachable', 'UNREACHABLE', 'down')));
    assert.equal(
      await sendReport(down, report, {
        sleep: () => Promise.resolve(),
        random: () => 0,
        log: () => undefined,
        attempts: 3,
      }),
      false,
    );
    assert.equal(down.calls.length, 3);
  });
});
