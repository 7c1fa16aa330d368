import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { FakeClock } from '../core/clock.ts';
import { AgentError } from './agent-error.ts';
import type { EstClient, Sleep } from './est-client.ts';
import { runAgentLoop } from './run-loop.ts';
import { StateStore } from './state-store.ts';

const run = promisify(execFile);
let dir = '';
let store: StateStore;
let notBefore: Date;
let notAfter: Date;

// A self-signed pair made by openssl stands in for an issued identity: the loop only reads dates.
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tp-agent-loop-'));
  await run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
      '-subj',
      '/CN=SN-1',
      '-days',
      '30',
    ],
    { cwd: dir },
  );
  store = new StateStore(join(dir, 'state'));
  await store.initialise({
    server: 'https://127.0.0.1:9',
    product: 'GW-1',
    serial: 'SN-1',
    caBundle: join(dir, 'cert.pem'),
  });
  const certPem = await readFile(join(dir, 'cert.pem'), 'utf8');
  await store.writeKey(1, await readFile(join(dir, 'key.pem'), 'utf8'));
  await store.writeCertificate(1, certPem);
  await store.writeChain(1, certPem);
  await store.switchCurrent(1);
  ({ validFromDate: notBefore, validToDate: notAfter } = new X509Certificate(certPem));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('no server: renew at 2/3 of the lifetime, then back off with full jitter, honouring Retry-After', async () => {
  const clock = new FakeClock(notBefore);
  const failures = [
    new AgentError('refused', 'SERVICE_OVERLOADED', 'busy', { httpStatus: 503, retryAfterSeconds: 600 }),
    new AgentError('unreachable', 'UNREACHABLE', 'no answer'),
    new AgentError('unreachable', 'UNREACHABLE', 'no answer'),
  ];
  const est = {
    renewalInfo: () => Promise.reject(new AgentError('unreachable', 'UNREACHABLE', 'no answer')),
    keyAlgorithm: () => Promise.reject(failures.shift()!),
  } as unknown as EstClient;
  const stop = new AbortController();
  const sleeps: { at: string; ms: number }[] = [];
  const sleep: Sleep = (ms) => {
    sleeps.push({ at: clock.now().toISOString(), ms });
    clock.advance(ms);
    if (failures.length === 0) stop.abort();
    return Promise.resolve();
  };
  const lines: string[] = [];
  await runAgentLoop({
    store,
    est,
    clock,
    sleep,
    signal: stop.signal,
    random: () => 0.5,
    log: (l) => lines.push(l),
    backoff: { baseMs: 10_000, capMs: 3_600_000 },
    pollIntervalMs: 10 * 86_400_000,
  });

  const twoThirds = notBefore.getTime() + Math.floor(((notAfter.getTime() - notBefore.getTime()) * 2) / 3);
  assert.match(
    lines.join('\n'),
    /renewal-info unavailable \(UNREACHABLE: no answer\); falling back to 2\/3 of the lifetime/,
  );
  // Waits in steps of the poll interval up to the fallback moment, then three failed attempts.
  assert.deepEqual(
    sleeps.map((s) => s.ms),
    [10 * 86_400_000, twoThirds - notBefore.getTime() - 10 * 86_400_000, 600_000, 10_000, 20_000],
  );
  assert.match(lines.join('\n'), /renewal failed \(attempt 1\): SERVICE_OVERLOADED: busy; retrying in 600 s/);
  assert.match(lines.join('\n'), /renewal failed \(attempt 3\): UNREACHABLE: no answer; retrying in 20 s/);
  assert.equal(lines.at(-1), 'agent stopped');
  assert.equal((await store.layout()).current, 1, 'nothing was switched');
});

test('abort while asleep: the loop returns', async () => {
  const clock = new FakeClock(notBefore);
  const est = { renewalInfo: () => Promise.resolve({ start: notAfter, end: notAfter }) } as unknown as EstClient;
  const stop = new AbortController();
  const sleep: Sleep = (_ms, signal) =>
    new Promise((_resolve, reject) => {
      signal?.addEventListener('abort', () => reject(new Error('aborted')));
      stop.abort();
    });
  await runAgentLoop({ store, est, clock, sleep, signal: stop.signal, random: () => 0, log: () => undefined });
});
