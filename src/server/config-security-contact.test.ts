// The installation's security.txt comes from the environment, checked at start as a profile's values are.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig, securityContact } from './config.ts';

test('TRUSTPLANE_SECURITY_CONTACT, _POLICY, _LANGUAGES: read and checked; unset, there is none', () => {
  assert.deepEqual(loadConfig({}, {}).securityContact, { contact: undefined, cvdPolicyUrl: undefined, preferredLanguages: [] });
  assert.deepEqual(securityContact({ TRUSTPLANE_SECURITY_CONTACT: 'mailto:security@example.com', TRUSTPLANE_SECURITY_POLICY: 'https://example.com/cvd', TRUSTPLANE_SECURITY_LANGUAGES: 'en, de' }), {
    contact: 'mailto:security@example.com',
    cvdPolicyUrl: 'https://example.com/cvd',
    preferredLanguages: ['en', 'de'],
  });
  for (const env of [
    { TRUSTPLANE_SECURITY_CONTACT: 'security@example.com' },
    { TRUSTPLANE_SECURITY_CONTACT: 'http://example.com/report' },
    { TRUSTPLANE_SECURITY_CONTACT: 'mailto:a@example.com', TRUSTPLANE_SECURITY_POLICY: 'http://example.com/cvd' },
    { TRUSTPLANE_SECURITY_CONTACT: 'mailto:a@example.com', TRUSTPLANE_SECURITY_LANGUAGES: 'English' },
    { TRUSTPLANE_SECURITY_POLICY: 'https://example.com/cvd' },
  ]) {
    assert.throws(() => loadConfig({}, env), ConfigError, JSON.stringify(env));
  }
});
