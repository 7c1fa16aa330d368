import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TrustplaneError } from '../core/errors.ts';
import type { RolloutRecord } from './rollout.types.ts';
import { rolloutAfter, type RolloutCommand } from './rollout-commands.ts';
import { rolloutSpec, rolloutSpecSha256 } from './rollout-spec.ts';

const now = new Date('2027-01-01T00:00:00Z');
const rollout = (patch: Partial<RolloutRecord> = {}): RolloutRecord => ({
  id: 'rol_1',
  productId: 'prd_1',
  releaseId: 'rel_1',
  stages: [10, 50, 100],
  stage: 0,
  state: 'active',
  cohort: { kind: 'product' },
  cohortSize: 10,
  failureThresholdPct: null,
  soakSeconds: null,
  stageStartedAt: new Date('2026-12-01T00:00:00Z'),
  pausedReason: null,
  createdBy: 'ops',
  createdAt: new Date('2026-12-01T00:00:00Z'),
  specSha256: null,
  ...patch,
});
const after = (r: RolloutRecord, command: RolloutCommand, fromStage?: number) => rolloutAfter(r, command, { fromStage, by: 'ops', now });
const refused = (code: string) => (e: unknown) => e instanceof TrustplaneError && e.code === code;

test('a command whose effect is already there changes nothing: pause of paused, resume of active, abort of aborted', () => {
  assert.equal(after(rollout({ state: 'paused' }), 'pause'), undefined);
  assert.equal(after(rollout(), 'resume'), undefined);
  assert.equal(after(rollout({ state: 'aborted' }), 'abort'), undefined);
  assert.equal(after(rollout(), 'pause')?.state, 'paused');
  assert.equal(after(rollout({ state: 'paused', pausedReason: 'x' }), 'resume')?.pausedReason, null);
  assert.equal(after(rollout({ state: 'paused' }), 'abort')?.state, 'aborted');
  for (const command of ['pause', 'resume', 'abort'] as const) assert.throws(() => after(rollout({ state: 'completed' }), command), refused('ROLLOUT_STATE_CONFLICT'), command);
  assert.throws(() => after(rollout({ state: 'aborted' }), 'resume'), refused('ROLLOUT_STATE_CONFLICT'));
});

test('advance from a stage: once at that stage, nothing one stage past it, refused anywhere else', () => {
  const moved = after(rollout(), 'advance', 1);
  assert.deepEqual([moved?.stage, moved?.stageStartedAt], [1, now]);
  assert.equal(after(rollout({ stage: 1 }), 'advance', 1), undefined, 'the retry');
  assert.equal(after(rollout({ stage: 1, state: 'paused' }), 'advance', 1), undefined, 'the retry, paused since by its threshold');
  assert.throws(() => after(rollout({ stage: 2 }), 'advance', 1), refused('ROLLOUT_STAGE_MISMATCH'), 'moved on twice since it was read');
  assert.throws(() => after(rollout(), 'advance', 2), refused('ROLLOUT_STAGE_MISMATCH'), 'a stage not reached');
  assert.throws(() => after(rollout({ stage: 2 }), 'advance', 3), refused('ROLLOUT_STATE_CONFLICT'), 'the last stage');
  assert.equal(after(rollout({ stage: 1, state: 'paused' }), 'advance')?.state, 'active', 'without fromStage: as before');
});

test('a rollout spec: the same request in other words has the same digest; another has another', () => {
  const digest = (input: Record<string, unknown>) => rolloutSpecSha256('prd_1', rolloutSpec({ releaseId: 'rel_1', stages: [10, 100], ...input }));
  assert.equal(digest({ serials: ['B', 'A', 'B'] }), digest({ serials: ['A', 'B'] }));
  assert.notEqual(digest({ serials: ['A'] }), digest({ serials: ['A', 'B'] }));
  assert.notEqual(digest({ tag: 'A' }), digest({ serials: ['A'] }));
  assert.notEqual(digest({}), digest({ tag: 'pilot' }));
  assert.notEqual(digest({}), digest({ stages: [10, 50, 100] }));
  assert.notEqual(digest({}), digest({ failureThresholdPct: 5 }));
  assert.notEqual(digest({}), digest({ soakSeconds: 3600 }));
  assert.notEqual(digest({}), rolloutSpecSha256('prd_2', rolloutSpec({ releaseId: 'rel_1', stages: [10, 100] })));
});
