import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError, exitCodes, refusalFromAnswer } from './cli-error.ts';

const problemJson = 'application/problem+json; charset=utf-8';

test('a problem answer is a refusal (exit 2) printed as code: detail', () => {
  const body = JSON.stringify({
    type: 'about:blank',
    title: 'The device is not active',
    status: 409,
    code: 'DEVICE_NOT_ACTIVE',
    detail: 'a decommissioned device cannot be renewed',
  });
  const e = refusalFromAnswer(409, problemJson, body);
  assert.equal(e.exitCode, 2);
  assert.equal(e.message, 'DEVICE_NOT_ACTIVE: a decommissioned device cannot be renewed');
  assert.equal(e.problem?.code, 'DEVICE_NOT_ACTIVE');
});

test('without a detail the title is shown; details are kept for import rows', () => {
  const body = JSON.stringify({
    title: 'A device with this serial already exists',
    status: 409,
    code: 'DEVICE_EXISTS',
    details: { row: 7 },
  });
  const e = refusalFromAnswer(409, problemJson, body);
  assert.equal(e.message, 'DEVICE_EXISTS: A device with this serial already exists');
  assert.deepEqual(e.problem?.details, { row: 7 });
});

test('an answer that is not a problem is named by its status, still exit 2', () => {
  const html = refusalFromAnswer(502, 'text/html', '<html>bad gateway</html>');
  assert.equal(html.exitCode, 2);
  assert.equal(html.message, 'HTTP_502: HTTP 502');
  assert.equal(refusalFromAnswer(500, 'application/json', 'not json').problem?.code, 'HTTP_500');
  assert.equal(refusalFromAnswer(404, 'text/plain', 'Not Found').message, 'HTTP_404: Not Found');
});

test('exit codes: usage 1, refused 2, unreachable 3, overdue reports or access-path findings 4', () => {
  assert.deepEqual(exitCodes, { ok: 0, usage: 1, refused: 2, unreachable: 3, overdue: 4, findings: 4 });
  assert.equal(new CliError('usage', 'x').exitCode, 1);
  assert.equal(new CliError('unreachable', 'x').exitCode, 3);
  assert.equal(new CliError('overdue', 'x').exitCode, 4);
  assert.equal(new CliError('findings', 'x').exitCode, 4, 'a scheduler reads one code: the check ran and found something');
  const noted = new CliError('refused', 'x').withNotes('a', 'b');
  assert.deepEqual([noted.kind, noted.notes], ['refused', ['a', 'b']]);
});
