// The Annex III and IV entries shipped as data (Regulation (EU) 2024/2847, OJ L, 2024/2847, 20.11.2024).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { annexEntries, findAnnexEntry } from './cra-annex-entries.ts';

test('Annex III class I has points 1-19, class II 1-4, Annex IV 1-3, each of its category', () => {
  const of = (category: string) => annexEntries.filter((e) => e.category === category).map((e) => e.id);
  assert.deepEqual(of('important-1'), Array.from({ length: 19 }, (_, i) => `III-I-${i + 1}`));
  assert.deepEqual(of('important-2'), ['III-II-1', 'III-II-2', 'III-II-3', 'III-II-4']);
  assert.deepEqual(of('critical'), ['IV-1', 'IV-2', 'IV-3']);
  assert.equal(new Set(annexEntries.map((e) => e.id)).size, annexEntries.length);
});

test('each entry carries its title as the regulation prints it and where it comes from', () => {
  assert.equal(findAnnexEntry('III-I-9')?.title, 'Public key infrastructure and digital certificate issuance software');
  assert.equal(findAnnexEntry('III-II-2')?.title, 'Firewalls, intrusion detection and prevention systems');
  assert.equal(findAnnexEntry('IV-1')?.title, 'Hardware Devices with Security Boxes');
  assert.equal(findAnnexEntry('III-I-13')?.source, 'Regulation (EU) 2024/2847 (OJ L, 2024/2847, 20.11.2024), Annex III, class I, point 13');
  assert.match(findAnnexEntry('IV-3')!.technicalDescription, /Implementing Regulation \(EU\) 2025\/2392 .*Annex II/);
  for (const e of annexEntries) assert.match(e.title, /^[A-Z][\x20-\x7e]+$/, e.id);
  assert.equal(findAnnexEntry('III-I-20'), undefined);
  assert.equal(findAnnexEntry('iii-i-1'), undefined);
});
