import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fallbackPlan, keepOrReplan, planFromWindow } from './renewal-schedule.ts';

const window = { start: new Date('2026-03-01T00:00:00Z'), end: new Date('2026-03-11T00:00:00Z') };

test('RFC 9773 §4.2: a uniformly random moment inside the window', () => {
  assert.equal(planFromWindow(window, () => 0).at.toISOString(), '2026-03-01T00:00:00.000Z');
  assert.equal(planFromWindow(window, () => 0.5).at.toISOString(), '2026-03-06T00:00:00.000Z');
  const last = planFromWindow(window, () => 0.9999999999).at;
  assert.ok(last < window.end && last > new Date('2026-03-10T23:59:00Z'));
  assert.equal(planFromWindow(window, () => 0.3).window, window);
});

test('a window of one instant gives that instant', () => {
  const instant = { start: window.start, end: window.start };
  assert.equal(planFromWindow(instant, () => 0.7).at.toISOString(), window.start.toISOString());
});

test('without the server: two thirds of the lifetime', () => {
  const plan = fallbackPlan(new Date('2026-01-01T00:00:00Z'), new Date('2026-01-31T00:00:00Z'));
  assert.equal(plan.at.toISOString(), '2026-01-21T00:00:00.000Z');
  assert.equal(plan.window, undefined);
});

test('the same window keeps its moment; a moved window gets a new one', () => {
  const first = planFromWindow(window, () => 0.8);
  const again = keepOrReplan(first, { start: new Date(window.start), end: new Date(window.end) }, () => 0.1);
  assert.equal(again, first);
  const sooner = { start: new Date('2026-02-01T00:00:00Z'), end: new Date('2026-02-02T00:00:00Z') };
  assert.equal(keepOrReplan(first, sooner, () => 0).at.toISOString(), '2026-02-01T00:00:00.000Z');
  const afterFallback = keepOrReplan(fallbackPlan(window.start, window.end), window, () => 0);
  assert.equal(afterFallback.at.toISOString(), window.start.toISOString());
});
