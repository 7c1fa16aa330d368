// The Annex III and IV entries shipped as data (Regulation (EU) 2024/2847, OJ L, 2024/2847, 20.11.2024).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { descriptionSources } from './cra-annex-descriptions.ts';
import { annexEntries, findAnnexEntry, partlyDescribed } from './cra-annex-entries.ts';

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
  for (const e of annexEntries) assert.match(e.title, /^[A-Z][\x20-\x7e]+$/, e.id);
  assert.equal(findAnnexEntry('III-I-20'), undefined);
  assert.equal(findAnnexEntry('iii-i-1'), undefined);
});

test('each entry cites its own point of Implementing Regulation (EU) 2025/2392: Annex I by class for Annex III, Annex II for Annex IV', () => {
  const prefix = 'Commission Implementing Regulation (EU) 2025/2392 (OJ L, 2025/2392, 1.12.2025), ';
  for (const e of annexEntries) {
    const point = e.annex === 'IV' ? `Annex II, point ${e.point}` : `Annex I, Class ${e.class}, point ${e.point}`;
    assert.equal(e.technicalDescription, prefix + point, e.id);
  }
  assert.equal(findAnnexEntry('III-I-3')?.technicalDescription, `${prefix}Annex I, Class I, point 3`);
  assert.equal(findAnnexEntry('III-II-4')?.technicalDescription, `${prefix}Annex I, Class II, point 4`);
  assert.equal(findAnnexEntry('IV-2')?.technicalDescription, `${prefix}Annex II, point 2`);
});

test('every entry has a description of what its point makes decisive, or an explicit null where the point was not read', () => {
  for (const e of annexEntries) {
    assert.ok(Object.hasOwn(e, 'description'), `${e.id} states its description, null included`);
    if (e.description === null) continue;
    assert.equal(typeof e.description, 'string', e.id);
    // a summary of the deciding criteria: whole sentences, printable, not a repeat of the title
    assert.match(e.description, /^[A-Z][\x20-\x7e]{40,1000}\.$/, e.id);
    assert.notEqual(e.description, e.title, e.id);
  }
  // every point has been read whole (docs/design/cra.md "Data sources")
  const described = annexEntries.filter((e) => e.description !== null).map((e) => e.id);
  assert.deepEqual(described, annexEntries.map((e) => e.id));
  assert.match(findAnnexEntry('III-I-3')!.description!, /store passwords/);
  assert.match(findAnnexEntry('III-I-5')!.description!, /encrypted logical tunnel.*VPN clients, VPN servers and VPN gateways/);
  assert.match(findAnnexEntry('IV-1')!.description!, /tamper/);
  assert.match(findAnnexEntry('III-I-9')!.description!, /issuance, distribution, status publication, renewal or revocation of digital certificates/);
  assert.match(findAnnexEntry('III-I-11')!.description!, /abstract interface to the underlying hardware/);
  // the class II hardware threshold sits below the secure elements' (AVA_VAN 2 or 3 against at least 4)
  assert.match(findAnnexEntry('III-II-3')!.description!, /AVA_VAN level 2 or 3/);
  assert.match(findAnnexEntry('IV-3')!.description!, /at least AVA_VAN\.4/);
});

test('every summary is of its whole point: none is partial or names a part it leaves out', () => {
  assert.deepEqual(partlyDescribed, []);
  for (const e of annexEntries) assert.doesNotMatch(e.description!, /not summarised here/, e.id);
  // the parts that an extraction keeping each point's first row alone had left out (docs/design/cra.md "Data sources")
  const laterParts: Record<string, RegExp[]> = {
    'III-I-12': [/^Routers: /, /Modems intended for the connection to the internet: .*digital modulation and demodulation/, /Switches: .*management plane/],
    'III-I-15': [/^ASICs: /, /FPGAs: .*matrix of configurable logic blocks/],
    'III-I-18': [/social interactive features/, /track or infer where the toy or its user is/, /only senses how close .* has no location tracking features/],
    'III-I-19': [/^Health-monitoring wearables: /, /Wearables for children: .*under 14/],
    'III-II-1': [/^Hypervisors: /, /Container runtime systems: .*isolated processes on a single host operating system/],
    'III-II-2': [/^Firewalls: /, /Intrusion detection systems: /, /Intrusion prevention systems: /],
    'IV-3': [/^Secure elements: /, /Smartcards or similar devices: .*carrier material/],
  };
  for (const [id, parts] of Object.entries(laterParts)) for (const part of parts) assert.match(findAnnexEntry(id)!.description!, part, id);
});

test('each summary names the copies of Implementing Regulation (EU) 2025/2392 it was checked against, two of them whole and independent', () => {
  const known = new Set(Object.keys(descriptionSources));
  for (const e of annexEntries) {
    assert.equal(e.checkedAgainst.length, new Set(e.checkedAgainst).size, e.id);
    for (const source of e.checkedAgainst) assert.ok(known.has(source), `${e.id}: ${source}`);
    // the Official Journal's PDF as text, and a separate extraction of EUR-Lex's text: both hold every row of every point
    assert.ok(e.checkedAgainst.includes('oj-pdf-text') && e.checkedAgainst.includes('eurlex-json'), e.id);
  }
  const web = annexEntries.filter((e) => e.checkedAgainst.includes('oj-copy-web')).map((e) => e.id);
  assert.deepEqual(web, ['III-I-1', 'III-I-2', 'III-I-3', 'III-I-5', 'III-I-6', 'III-I-8', 'IV-1', 'IV-2']);
  // the copy whose bytes could be had is pinned by its digest and its commit
  assert.equal(descriptionSources['oj-pdf-text'].sha256, '9774163c3bad1316c2e02fc18a484cff834bd1e0c67c0637c9247e17043f2227');
  for (const [id, source] of Object.entries(descriptionSources)) {
    assert.match(source.where, /^https:\/\//, id);
    if (source.sha256 !== null) assert.match(source.sha256, /^[0-9a-f]{64}$/, id);
  }
});
