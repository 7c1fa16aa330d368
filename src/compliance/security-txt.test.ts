// RFC 9116 security.txt as trustplane writes it, read back by a parser written from the RFC's
// grammar (testing/security-txt-parser.ts), for any values the profile may hold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TrustplaneError } from '../core/errors.ts';
import type { InstallationSecurityContact } from './cra-context.ts';
import type { CraProfileRecord } from './cra-profile.types.ts';
import { installationSecurityTxt, productSecurityTxt, renderSecurityTxt, SECURITY_TXT_VALIDITY_DAYS } from './security-txt.ts';
import { parseContactUri, parseHttpsUrl, parseLanguageTags } from './vulnerability-contact.ts';
import { parseSecurityTxt } from './testing/security-txt-parser.ts';

const profile: CraProfileRecord = {
  productId: 'prd_1',
  sku: 'GW-1',
  category: 'important-1',
  annexEntry: 'III-I-12',
  placedOnMarket: '2026-03',
  supportUntil: new Date('2031-12-31T23:59:59Z'),
  supportUntilPrecision: 'month',
  supportJustification: null,
  vulnerabilityContact: 'mailto:psirt@example.com',
  cvdPolicyUrl: 'https://example.com/security/cvd',
  preferredLanguages: ['en', 'de'],
  harmonisedStandardsAppliedInFull: false,
  certificationRequiredByDelegatedAct: false,
  route: null,
  memberStates: null,
};
const installation: InstallationSecurityContact = { contact: 'https://example.com/report', cvdPolicyUrl: 'https://example.com/policy', preferredLanguages: ['fr'] };
const now = new Date('2027-01-10T12:00:00.250Z');

test("a product's security.txt: its contact, policy, languages, an Expires under a year ahead, and Canonical over https", () => {
  const text = renderSecurityTxt(productSecurityTxt(profile, installation, now, 'https://tp.example/products/GW-1/security.txt')!);
  const f = parseSecurityTxt(text);
  assert.deepEqual(f.get('contact'), ['mailto:psirt@example.com']);
  assert.deepEqual(f.get('policy'), ['https://example.com/security/cvd']);
  assert.deepEqual(f.get('preferred-languages'), ['en, de']);
  assert.deepEqual(f.get('canonical'), ['https://tp.example/products/GW-1/security.txt']);
  assert.equal(f.get('expires')![0], '2027-07-09T12:00:00Z');
  const ahead = Date.parse(f.get('expires')![0]!) - now.getTime();
  assert.ok(ahead > 0 && ahead < 365 * 86_400_000 && Math.round(ahead / 86_400_000) === SECURITY_TXT_VALIDITY_DAYS);
  assert.match(text, /^# .*\n# Support period ends 2031-12\n/);
});

test("a product without its own contact falls back to the installation's; with neither there is no file", () => {
  const bare = { ...profile, vulnerabilityContact: null, cvdPolicyUrl: null, preferredLanguages: [] };
  const f = parseSecurityTxt(renderSecurityTxt(productSecurityTxt(bare, installation, now, 'https://tp.example/products/GW-1/security.txt')!));
  assert.deepEqual([f.get('contact'), f.get('policy'), f.get('preferred-languages')], [['https://example.com/report'], ['https://example.com/policy'], ['fr']]);
  assert.equal(productSecurityTxt(bare, { contact: undefined, cvdPolicyUrl: undefined, preferredLanguages: [] }, now, 'https://x/y'), undefined);
  assert.equal(installationSecurityTxt({ contact: undefined, cvdPolicyUrl: undefined, preferredLanguages: [] }, now, 'https://x/y'), undefined);
});

test('behind plain HTTP no Canonical is written (RFC 9116 §2.5.2: a web URI there MUST be https)', () => {
  const f = parseSecurityTxt(renderSecurityTxt(installationSecurityTxt(installation, now, 'http://127.0.0.1:8443/.well-known/security.txt')!));
  assert.equal(f.get('canonical'), undefined);
  assert.deepEqual(f.get('contact'), ['https://example.com/report']);
});

test('for any contact, policy and languages the validators accept, the file parses and says exactly them', () => {
  const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/);
  const host = fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => `${l.join('.')}.example`);
  const contact = fc.oneof(
    fc.tuple(fc.stringMatching(/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,20}$/), host).map(([local, h]) => `mailto:${local}@${h}`),
    fc.tuple(host, fc.webPath()).map(([h, p]) => `https://${h}${p}`),
  );
  const policy = fc.option(fc.tuple(host, fc.webPath(), fc.webQueryParameters()).map(([h, p, q]) => `https://${h}${p}${q ? `?${q}` : ''}`));
  const languages = fc.uniqueArray(fc.stringMatching(/^[a-z]{2,3}(-[A-Z]{2})?$/), { maxLength: 4, selector: (t) => t.toLowerCase() });
  fc.assert(
    fc.property(contact, policy, languages, fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }), (c, p, langs, at) => {
      // only what the profile's validators accept ever reaches a file
      let accepted: { c: string; p: string | null; langs: string[] };
      try {
        accepted = { c: parseContactUri('c', c), p: p === null ? null : parseHttpsUrl('p', p), langs: parseLanguageTags('l', langs) };
      } catch (e) {
        assert.ok(e instanceof TrustplaneError && e.code === 'VALIDATION_FAILED');
        return;
      }
      const file = productSecurityTxt({ ...profile, vulnerabilityContact: accepted.c, cvdPolicyUrl: accepted.p, preferredLanguages: accepted.langs }, installation, at, 'https://tp.example/products/GW-1/security.txt')!;
      const f = parseSecurityTxt(renderSecurityTxt(file));
      assert.deepEqual(f.get('contact'), [accepted.c]);
      assert.deepEqual(f.get('policy') ?? [null], [accepted.p ?? installation.cvdPolicyUrl]);
      assert.deepEqual(f.get('preferred-languages'), [(accepted.langs.length > 0 ? accepted.langs : installation.preferredLanguages).join(', ')]);
    }),
    { seed: 9116, numRuns: 1000 },
  );
});

test('a value with a line break never reaches the file: it would forge a field', () => {
  const forged = { ...productSecurityTxt(profile, installation, now, 'https://tp.example/x')!, policy: 'https://a.example/\nContact: mailto:evil@evil.example' };
  assert.throws(() => renderSecurityTxt(forged), (e: unknown) => e instanceof TrustplaneError && e.code === 'INTERNAL');
});
