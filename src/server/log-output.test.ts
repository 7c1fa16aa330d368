import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';
import { logDestination } from './log-output.ts';

describe('log output (issue 10 §6)', () => {
  it('auto: readable lines on a terminal, pino JSON otherwise; json and pretty as asked', () => {
    assert.notEqual(logDestination('auto', true), undefined);
    assert.equal(logDestination('auto', false), undefined);
    assert.equal(logDestination('json', true), undefined);
    assert.notEqual(logDestination('pretty', false), undefined);
  });

  it('TRUSTPLANE_LOG_FORMAT is auto by default and refused when unknown', () => {
    assert.equal(loadConfig({}, {}).logFormat, 'auto');
    assert.equal(loadConfig({}, { TRUSTPLANE_LOG_FORMAT: 'json' }).logFormat, 'json');
    assert.throws(() => loadConfig({}, { TRUSTPLANE_LOG_FORMAT: 'xml' }), (e) => e instanceof ConfigError && /TRUSTPLANE_LOG_FORMAT must be auto, json, pretty/.test(e.message));
  });
});
