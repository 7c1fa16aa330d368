// DESIGN.md rule 5: the device routes' answers and sshd's log lines are attacker-controlled from
// the agent's side (an impersonated server; a client choosing what sshd logs). Anything ends in a
// value of the right shape or DEVICE_API_ANSWER_MALFORMED, never a crash.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentError } from '../agent-error.ts';
import { parseHostCertificateAnswer, parseSshConfigAnswer } from './device-ssh-api.ts';
import { parseAcceptedLogin } from './login-reports.ts';

const anyJson = fc.dictionary(fc.constantFrom('userCaKeys', 'principals', 'krlRefreshSeconds', 'certificate', 'validBefore', 'hostCaKey', 'x'), fc.jsonValue());

test('config and host-certificate answers: the right shape or DEVICE_API_ANSWER_MALFORMED', () => {
  fc.assert(
    fc.property(anyJson, (o) => {
      for (const parse of [parseSshConfigAnswer, parseHostCertificateAnswer]) {
        try {
          const v = parse(o);
          for (const s of Object.values(v).flat()) if (typeof s === 'string') assert.ok(!/[\r\n]/.test(s) && s.length > 0);
        } catch (e) {
          assert.ok(e instanceof AgentError && e.code === 'DEVICE_API_ANSWER_MALFORMED', String(e));
        }
      }
    }),
    { numRuns: 3000 },
  );
});

test('log lines: a report with a uint64 serial and an ISO time, or nothing', () => {
  const accepted = fc
    .tuple(fc.string(), fc.string(), fc.bigInt({ min: 0n, max: 2n ** 70n }), fc.string())
    .map(([user, id, serial, rest]) => `Accepted publickey for ${user} from ${rest} port 1 ssh2: ED25519-CERT SHA256:a ID ${id} (serial ${serial}) CA ED25519 SHA256:b`);
  fc.assert(
    fc.property(fc.oneof(fc.string(), accepted), (line) => {
      const r = parseAcceptedLogin(line, new Date('2026-03-01T00:00:00Z'));
      if (r === undefined) return;
      assert.ok(BigInt(r.serial) <= 2n ** 64n - 1n);
      assert.ok(!Number.isNaN(Date.parse(r.at)));
      assert.ok(!/\s/.test(r.source));
    }),
    { numRuns: 3000 },
  );
});
