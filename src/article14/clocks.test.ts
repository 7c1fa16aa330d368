/**
 * The Article 14 clocks as pure functions of the awareness time, the measure's availability, the
 * submissions and `now`: fixed examples at each boundary (a deadline is met at its instant and
 * missed a millisecond after), then properties over generated instants (fast-check, fixed seed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DAY_MS, HOUR_MS } from '../core/clock.ts';
import type { ReportStage } from './article14.types.ts';
import { addCalendarMonth } from './calendar-month.ts';
import { stageClocks, type ClockInputs, type StageClock } from './clocks.ts';

const seed = 20_140_914;
const at = (s: string) => new Date(s);
const stage = (clocks: StageClock[], s: ReportStage) => clocks.find((c) => c.stage === s)!;
const sub = (s: ReportStage, t: string) => ({ stage: s, submittedAt: at(t) });

describe('one calendar month (Art 14(4)(c); Regulation 1182/71 Art 3(2)(c) for short months)', () => {
  const cases: [string, string][] = [
    ['2026-09-15T10:30:00.000Z', '2026-10-15T10:30:00.000Z'],
    ['2027-01-31T08:00:00.000Z', '2027-02-28T08:00:00.000Z'], // February is shorter: its last day
    ['2028-01-31T08:00:00.000Z', '2028-02-29T08:00:00.000Z'], // leap year
    ['2026-03-31T23:59:59.999Z', '2026-04-30T23:59:59.999Z'],
    ['2026-08-31T00:00:00.000Z', '2026-09-30T00:00:00.000Z'],
    ['2026-12-15T12:00:00.000Z', '2027-01-15T12:00:00.000Z'], // across the year
    ['2026-12-31T18:00:00.000Z', '2027-01-31T18:00:00.000Z'],
    ['2027-02-28T09:00:00.000Z', '2027-03-28T09:00:00.000Z'], // the same date, not the month's end
    ['2026-10-25T01:30:00.000Z', '2026-11-25T01:30:00.000Z'], // UTC: no summer-time shift
  ];
  for (const [from, to] of cases) it(`${from} → ${to}`, () => assert.equal(addCalendarMonth(at(from)).toISOString(), to));

  it('is the same date and time of day in the next month, or that month’s last day', () => {
    fc.assert(
      fc.property(fc.date({ min: at('1971-01-01T00:00:00Z'), max: at('2199-12-31T23:59:59Z'), noInvalidDate: true }), (t) => {
        const next = addCalendarMonth(t);
        const months = next.getUTCFullYear() * 12 + next.getUTCMonth() - (t.getUTCFullYear() * 12 + t.getUTCMonth());
        assert.equal(months, 1);
        const lastDay = new Date(Date.UTC(next.getUTCFullYear(), next.getUTCMonth() + 1, 0)).getUTCDate();
        assert.equal(next.getUTCDate(), Math.min(t.getUTCDate(), lastDay));
        assert.equal(next.getTime() % DAY_MS, t.getTime() % DAY_MS, 'the same time of day');
        const span = next.getTime() - t.getTime();
        assert.ok(span >= 28 * DAY_MS && span <= 31 * DAY_MS, `${span / DAY_MS} days`);
      }),
      { seed, numRuns: 2000 },
    );
  });
});

describe('vulnerability clocks (Art 14(2))', () => {
  const aware = '2026-09-11T06:00:00.000Z';
  const base: ClockInputs = { kind: 'vulnerability', awareAt: at(aware), measureAvailableAt: null, submissions: [] };

  it('early warning at 24 h and notification at 72 h after awareness, in exact hours; met at the instant, missed a millisecond after', () => {
    const early = at('2026-09-12T06:00:00.000Z');
    const notification = at('2026-09-14T06:00:00.000Z');
    let clocks = stageClocks(base, early);
    assert.equal(stage(clocks, 'early_warning').dueAt?.toISOString(), early.toISOString());
    assert.equal(stage(clocks, 'early_warning').state, 'open');
    assert.equal(stage(clocks, 'notification').dueAt?.toISOString(), notification.toISOString());
    clocks = stageClocks(base, new Date(early.getTime() + 1));
    assert.equal(stage(clocks, 'early_warning').state, 'overdue');
    assert.equal(stage(clocks, 'notification').state, 'open');
    clocks = stageClocks(base, new Date(notification.getTime() + 1));
    assert.equal(stage(clocks, 'notification').state, 'overdue');
  });

  it('the final report waits for a corrective or mitigating measure, then is due 14 days after it', () => {
    const waiting = stage(stageClocks(base, at('2027-06-01T00:00:00Z')), 'final');
    assert.equal(waiting.state, 'waiting');
    assert.equal(waiting.dueAt, null);
    assert.match(waiting.waitingFor ?? '', /corrective or mitigating measure/);
    const fixed = { ...base, measureAvailableAt: at('2026-09-20T13:45:00.000Z') };
    const final = stage(stageClocks(fixed, at('2026-10-04T13:45:00.000Z')), 'final');
    assert.equal(final.startedAt?.toISOString(), '2026-09-20T13:45:00.000Z');
    assert.equal(final.dueAt?.toISOString(), '2026-10-04T13:45:00.000Z');
    assert.equal(final.state, 'open');
    assert.equal(stage(stageClocks(fixed, at('2026-10-04T13:45:00.001Z')), 'final').state, 'overdue');
  });

  it('a measure available before awareness starts the final clock at awareness', () => {
    const early = { ...base, measureAvailableAt: at('2026-01-01T00:00:00Z') };
    const final = stage(stageClocks(early, at(aware)), 'final');
    assert.equal(final.startedAt?.toISOString(), aware);
    assert.equal(final.dueAt?.toISOString(), '2026-09-25T06:00:00.000Z');
  });

  it('each stage stops at its first submission; after its deadline it is late', () => {
    const inputs = { ...base, submissions: [sub('early_warning', '2026-09-12T05:00:00Z'), sub('notification', '2026-09-14T07:00:00Z'), sub('notification', '2026-09-14T05:00:00Z')] };
    const clocks = stageClocks(inputs, at('2027-01-01T00:00:00Z'));
    assert.deepEqual([stage(clocks, 'early_warning').state, stage(clocks, 'early_warning').late], ['submitted', false]);
    // the earlier of the two notifications counts
    assert.equal(stage(clocks, 'notification').submittedAt?.toISOString(), '2026-09-14T05:00:00.000Z');
    assert.equal(stage(clocks, 'notification').late, false);
    const late = stageClocks({ ...base, submissions: [sub('early_warning', '2026-09-12T06:00:00.001Z')] }, at('2027-01-01T00:00:00Z'));
    assert.deepEqual([stage(late, 'early_warning').state, stage(late, 'early_warning').late], ['submitted', true]);
    assert.equal(stage(late, 'intermediate').state, 'on-request');
  });

  it('for any awareness time: exactly 24 h, 72 h, and 14 × 24 h after the later of the measure and awareness', () => {
    const instant = fc.date({ min: at('2026-09-11T00:00:00Z'), max: at('2099-12-31T00:00:00Z'), noInvalidDate: true });
    fc.assert(
      fc.property(instant, fc.option(instant), instant, (awareAt, measure, now) => {
        const clocks = stageClocks({ kind: 'vulnerability', awareAt, measureAvailableAt: measure, submissions: [] }, now);
        assert.equal(stage(clocks, 'early_warning').dueAt!.getTime() - awareAt.getTime(), 24 * HOUR_MS);
        assert.equal(stage(clocks, 'notification').dueAt!.getTime() - awareAt.getTime(), 72 * HOUR_MS);
        const final = stage(clocks, 'final');
        if (measure === null) assert.equal(final.state, 'waiting');
        else assert.equal(final.dueAt!.getTime(), Math.max(measure.getTime(), awareAt.getTime()) + 14 * DAY_MS);
        for (const c of clocks) if (c.dueAt) assert.equal(c.state, now > c.dueAt ? 'overdue' : 'open');
      }),
      { seed, numRuns: 1000 },
    );
  });
});

describe('incident clocks (Art 14(4))', () => {
  const base: ClockInputs = { kind: 'incident', awareAt: at('2027-01-28T22:00:00.000Z'), measureAvailableAt: null, submissions: [] };

  it('24 h and 72 h from awareness; the final report one month after the notification was submitted, not after it was due', () => {
    let clocks = stageClocks(base, at('2027-01-29T00:00:00Z'));
    assert.equal(stage(clocks, 'early_warning').dueAt?.toISOString(), '2027-01-29T22:00:00.000Z');
    assert.equal(stage(clocks, 'notification').dueAt?.toISOString(), '2027-01-31T22:00:00.000Z');
    assert.equal(stage(clocks, 'final').state, 'waiting');
    assert.match(stage(clocks, 'final').waitingFor ?? '', /submission of the incident notification/);
    // notified 2 hours early, on 31 January: the final report is due on the last day of February
    clocks = stageClocks({ ...base, submissions: [sub('notification', '2027-01-31T20:00:00.000Z')] }, at('2027-02-28T20:00:00.000Z'));
    assert.equal(stage(clocks, 'final').startedAt?.toISOString(), '2027-01-31T20:00:00.000Z');
    assert.equal(stage(clocks, 'final').dueAt?.toISOString(), '2027-02-28T20:00:00.000Z');
    assert.equal(stage(clocks, 'final').state, 'open');
    clocks = stageClocks({ ...base, submissions: [sub('notification', '2027-01-31T20:00:00.000Z')] }, at('2027-02-28T20:00:00.001Z'));
    assert.equal(stage(clocks, 'final').state, 'overdue');
  });

  it('a late notification moves the final report with it', () => {
    const clocks = stageClocks({ ...base, submissions: [sub('notification', '2027-03-15T09:00:00.000Z')] }, at('2027-03-16T00:00:00Z'));
    assert.equal(stage(clocks, 'notification').late, true);
    assert.equal(stage(clocks, 'final').dueAt?.toISOString(), '2027-04-15T09:00:00.000Z');
  });
});
