/**
 * Issue 13, the product's CRA profile (docs/design/cra.md) through the real server, on each store:
 * category and Annex entry, the conformity procedures each category allows (CRA Art 32) and the
 * route chosen with who chose it, the support period with its five-year warning (Art 13(8)) and
 * the retention dates that follow (Art 13(9), 13(13)), the contact point and CVD policy served as
 * security.txt (RFC 9116). Every change is one `product.cra-profile-changed` event in the unit of
 * work that makes it; every refusal is a problem with a code and writes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { FakeClock } from '../src/core/clock.ts';
import { parseSecurityTxt } from '../src/compliance/testing/security-txt-parser.ts';
import { findAnnexEntry } from '../src/compliance/cra-annex-entries.ts';
import { formatCraProfile } from '../src/cli/commands/product-cra-profile.ts';
import { databaseTargets } from './support/databases.ts';
import { runCli } from './support/serve-process.ts';
import { expectRefusal } from './support/state-snapshot.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const NOW = '2027-01-10T12:00:00.000Z';
const SKU = 'GW-CRA';
const PROFILE = `/v1/products/${SKU}/cra-profile`;

for (const target of databaseTargets()) {
  describe(`CRA product profile (${target.name})`, () => {
    let server: TestServer;

    /** The product's row as stored and the number of events: equal before and after = nothing written. */
    const state = async () => {
      const db = server.tp.database.db;
      const row = await db.selectFrom('products').selectAll().where('sku', '=', SKU).executeTakeFirstOrThrow();
      const events = await db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      return { row: JSON.stringify(row), events: Number(events.n) };
    };
    const profileEvents = async () =>
      (await server.tp.database.db.selectFrom('events').select(['actor', 'subject_id', 'details']).where('action', '=', 'product.cra-profile-changed').orderBy('seq').execute()).map((e) => ({
        actor: e.actor,
        subject: e.subject_id,
        details: (typeof e.details === 'string' ? JSON.parse(e.details) : e.details) as { changes: Record<string, { from: unknown; to: unknown }> },
      }));
    const patch = async (body: unknown, token?: string) => {
      const answer = await server.api('PATCH', PROFILE, body, token);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    };
    const codes = (profile: { warnings: { code: string }[] }) => profile.warnings.map((w) => w.code);
    /** A refusal: its status and code, and the product's row and the ledger exactly as they were. */
    const refused = async (body: unknown, status: number, code: string, what: string) => {
      const before = await state();
      const problem = await expectRefusal(server, () => server.api('PATCH', PROFILE, body), status, code, what);
      assert.deepEqual(await state(), before, `${what}: nothing written`);
      return problem;
    };

    before(async () => {
      server = await startTestServer({ target, clock: new FakeClock(NOW) });
      await server.createProduct({ sku: SKU, name: 'CRA gateway', craClass: 'important-1', supportUntil: '2040-12-31' });
    });
    after(() => server.destroy());

    it("shows a new product's category, the procedures it allows, and what the profile lacks", async () => {
      const p = (await server.api('GET', PROFILE)).body;
      assert.equal(p.category, 'important-1');
      assert.equal(p.annexEntry, null);
      assert.deepEqual(
        p.conformity.allowedProcedures.map((a: { procedure: string }) => a.procedure),
        ['B+C', 'H'],
      );
      assert.deepEqual(p.supportPeriod, { placedOnMarket: null, end: '2040-12-31', endsAt: '2040-12-31T23:59:59.000Z', minimumEnd: null, justification: null });
      assert.deepEqual(codes(p), ['ANNEX_ENTRY_MISSING', 'PLACED_ON_MARKET_MISSING', 'ROUTE_MISSING', 'CONTACT_MISSING', 'CVD_POLICY_MISSING']);
      assert.deepEqual(await profileEvents(), []);
    });

    it('sets the Annex entry, dates and contact point: one event naming each change and who made it; the product follows', async () => {
      const before = await state();
      const p = await patch({ annexEntry: 'III-I-12', placedOnMarket: '2026-03', supportUntil: '2029-12', vulnerabilityContact: 'mailto:psirt@example.com', cvdPolicyUrl: 'https://example.com/security/cvd', preferredLanguages: ['en', 'de'] });
      assert.deepEqual(p.annexEntry, {
        id: 'III-I-12',
        title: 'Routers, modems intended for the connection to the internet, and switches',
        source: 'Regulation (EU) 2024/2847 (OJ L, 2024/2847, 20.11.2024), Annex III, class I, point 12',
        eli: 'http://data.europa.eu/eli/reg/2024/2847/oj',
        technicalDescription: 'Commission Implementing Regulation (EU) 2025/2392 (OJ L, 2025/2392, 1.12.2025), Annex I, Class I, point 12',
        technicalDescriptionEli: 'http://data.europa.eu/eli/reg_impl/2025/2392/oj',
        // every point summarised whole (docs/design/cra.md "Data sources"): its three kinds of product
        description: findAnnexEntry('III-I-12')!.description,
      });
      assert.match(p.annexEntry.description, /^Routers: .* Modems intended for the connection to the internet: .* Switches: .*management plane/);
      assert.equal(p.supportPeriod.end, '2029-12');
      assert.equal(p.supportPeriod.minimumEnd, '2031-03-31');
      // Art 13(9): ten years after issue or the rest of the support period; Art 13(13): ten years after placing on the market or the support period
      assert.deepEqual(p.retention, { securityUpdates: { issuedToday: '2037-01-10', issuedAtSupportEnd: '2039-12-31' }, technicalDocumentation: '2036-03-31' });
      assert.deepEqual(codes(p), ['SUPPORT_PERIOD_UNDER_FIVE_YEARS', 'ROUTE_MISSING']);
      assert.equal((await state()).events, before.events + 1, 'one event');
      const [event] = await profileEvents();
      assert.match(event!.actor, /^test-admin \(admin, tok_/);
      assert.equal(event!.subject, SKU);
      assert.deepEqual(event!.details.changes, {
        annexEntry: { from: null, to: 'III-I-12' },
        placedOnMarket: { from: null, to: '2026-03' },
        supportUntil: { from: '2040-12-31', to: '2029-12' },
        vulnerabilityContact: { from: null, to: 'mailto:psirt@example.com' },
        cvdPolicyUrl: { from: null, to: 'https://example.com/security/cvd' },
        preferredLanguages: { from: [], to: ['en', 'de'] },
      });
      // the support period is the product's: what issuance, batches and releases read
      assert.equal((await server.api('GET', `/v1/products/${SKU}`)).body.supportUntil, '2029-12-31');
      // the same values again change nothing and record nothing
      const again = await state();
      await patch({ annexEntry: 'III-I-12', supportUntil: '2029-12', preferredLanguages: ['en', 'de'] });
      assert.deepEqual(await state(), again);
    });

    it('a support period under five years warns until a justification is recorded, with who recorded it', async () => {
      const p = await patch({ supportPeriodJustification: 'a pilot series, in use for three years' });
      assert.ok(!codes(p).includes('SUPPORT_PERIOD_UNDER_FIVE_YEARS'));
      assert.equal(p.supportPeriod.justification.text, 'a pilot series, in use for three years');
      assert.match(p.supportPeriod.justification.recordedBy, /^test-admin /);
      assert.equal(p.supportPeriod.justification.recordedAt, NOW);
      const cleared = await patch({ supportPeriodJustification: null });
      assert.ok(codes(cleared).includes('SUPPORT_PERIOD_UNDER_FIVE_YEARS'), 'and comes back when it is withdrawn');
      assert.ok(!codes(await patch({ supportUntil: '2031-03' })).includes('SUPPORT_PERIOD_UNDER_FIVE_YEARS'), 'five years from the last day of March 2026');
      assert.deepEqual((await profileEvents()).slice(-3).map((e) => Object.keys(e.details.changes)), [['supportPeriodJustification'], ['supportPeriodJustification'], ['supportUntil']]);
    });

    it('refuses a conformity route the category does not allow, naming those it does; records the one chosen and who chose it', async () => {
      const problem = await refused({ route: { procedure: 'A' } }, 422, 'CRA_PROCEDURE_NOT_ALLOWED', 'module A for class I');
      assert.match(problem.detail ?? '', /allows B\+C, H$/);
      const p = await patch({ harmonisedStandardsAppliedInFull: true, route: { procedure: 'A' } });
      assert.deepEqual(
        p.conformity.allowedProcedures.map((a: { procedure: string }) => a.procedure),
        ['A', 'B+C', 'H', 'eu-certification'],
      );
      assert.equal(p.conformity.route.procedure, 'A');
      assert.match(p.conformity.route.chosenBy, /^test-admin \(admin, tok_/);
      assert.equal(p.conformity.route.chosenAt, NOW);
      // what module A stands on cannot be withdrawn under it, and class II never allows it
      await refused({ harmonisedStandardsAppliedInFull: false }, 422, 'CRA_PROCEDURE_NOT_ALLOWED', 'withdrawing the standards under module A');
      await refused({ annexEntry: 'III-II-2' }, 422, 'CRA_PROCEDURE_NOT_ALLOWED', 'a firewall self-assessed');
      const firewall = await patch({ annexEntry: 'III-II-2', route: { procedure: 'eu-certification', assuranceLevel: 'substantial' } });
      assert.deepEqual([firewall.category, firewall.conformity.route.procedure, firewall.conformity.route.assuranceLevel], ['important-2', 'eu-certification', 'substantial']);
      assert.equal((await server.api('GET', `/v1/products/${SKU}`)).body.craClass, 'important-2');
    });

    it('refuses bad input with a problem and its code, and writes nothing', async () => {
      const cases: [string, unknown, number, string][] = [
        ['an unknown Annex entry', { annexEntry: 'III-I-20' }, 422, 'CRA_ANNEX_ENTRY_UNKNOWN'],
        ['default with an Annex entry', { category: 'default', annexEntry: 'III-I-12' }, 422, 'CRA_ANNEX_ENTRY_MISMATCH'],
        ['critical with a class I entry', { category: 'critical', annexEntry: 'III-I-12' }, 422, 'CRA_ANNEX_ENTRY_MISMATCH'],
        ['critical without its entry', { category: 'critical' }, 422, 'CRA_ANNEX_ENTRY_MISMATCH'],
        ['a certificate below substantial for class II', { route: { procedure: 'eu-certification', assuranceLevel: 'basic' } }, 422, 'CRA_PROCEDURE_NOT_ALLOWED'],
        ['a certificate without its level', { route: { procedure: 'eu-certification' } }, 400, 'VALIDATION_FAILED'],
        ['module H with a level', { route: { procedure: 'H', assuranceLevel: 'high' } }, 400, 'VALIDATION_FAILED'],
        ['an unknown procedure', { route: { procedure: 'D' } }, 400, 'VALIDATION_FAILED'],
        ['a support period past the issuing CA', { supportUntil: '2041-01' }, 409, 'CRA_SUPPORT_BEYOND_CA'],
        ['a support period that has ended', { supportUntil: '2026-12' }, 400, 'VALIDATION_FAILED'],
        ['month 13', { supportUntil: '2030-13' }, 400, 'VALIDATION_FAILED'],
        ['30 February', { supportUntil: '2030-02-30' }, 400, 'VALIDATION_FAILED'],
        ['a time of day', { supportUntil: '2030-02-01T00:00:00Z' }, 400, 'VALIDATION_FAILED'],
        ['placed on the market after the support period', { placedOnMarket: '2032-01' }, 400, 'VALIDATION_FAILED'],
        ['an http contact', { vulnerabilityContact: 'http://example.com/report' }, 400, 'VALIDATION_FAILED'],
        ['a contact with a line break', { vulnerabilityContact: 'mailto:a@example.com\nPolicy: https://evil.example' }, 400, 'VALIDATION_FAILED'],
        ['a policy that is not https', { cvdPolicyUrl: 'ftp://example.com/cvd' }, 400, 'VALIDATION_FAILED'],
        ['a justification of 2001 characters', { supportPeriodJustification: 'x'.repeat(2001) }, 400, 'VALIDATION_FAILED'],
        ['a language that is no tag', { preferredLanguages: ['English'] }, 400, 'VALIDATION_FAILED'],
        ['a field the profile does not have', { craClass: 'default' }, 400, 'VALIDATION_FAILED'],
        ['a flag that is not a boolean', { harmonisedStandardsAppliedInFull: 'yes' }, 400, 'VALIDATION_FAILED'],
        ['not an object', '[1]', 400, 'VALIDATION_FAILED'],
        ['broken JSON', '{"supportUntil":', 400, 'BAD_REQUEST'],
      ];
      for (const [what, body, status, code] of cases) await refused(body, status, code, what);
      await expectRefusal(server, () => server.api('PATCH', '/v1/products/NO-SUCH/cra-profile', { supportUntil: '2030-01' }), 404, 'PRODUCT_NOT_FOUND');
      await expectRefusal(server, () => server.api('GET', '/v1/products/NO-SUCH/cra-profile'), 404, 'PRODUCT_NOT_FOUND');
    });

    it('the change and its event are one unit of work: when the event cannot be written, neither is the change', async () => {
      const db = server.tp.database.db;
      await sql`create function refuse_profile_event() returns trigger language plpgsql as $$ begin if new.action = 'product.cra-profile-changed' then raise exception 'no'; end if; return new; end $$`.execute(db);
      await sql`create trigger refuse_profile_event before insert on events for each row execute function refuse_profile_event()`.execute(db);
      try {
        const before = await state();
        const answer = await server.api('PATCH', PROFILE, { vulnerabilityContact: 'https://example.com/report' });
        assert.equal(answer.status, 500);
        assert.equal(answer.body.code, 'INTERNAL');
        assert.deepEqual(await state(), before);
      } finally {
        await sql`drop trigger refuse_profile_event on events`.execute(db);
        await sql`drop function refuse_profile_event()`.execute(db);
      }
      assert.equal((await patch({ vulnerabilityContact: 'https://example.com/report' })).vulnerabilityHandling.contact, 'https://example.com/report');
    });

    it('roles: product:write sets it; product:read or release:read reads it; a factory token neither', async () => {
      const token = async (role: 'auditor' | 'operator' | 'factory') =>
        (await server.tp.tokens.create({ role, owner: `test-${role}`, ttlSeconds: 3600, ...(role === 'factory' ? { products: [SKU] } : {}) }, 'test')).secret;
      const [auditor, operator, factory] = [await token('auditor'), await token('operator'), await token('factory')];
      for (const t of [auditor, operator]) {
        assert.equal((await server.api('GET', PROFILE, undefined, t)).status, 200);
        await expectRefusal(server, () => server.api('PATCH', PROFILE, { supportUntil: '2030-01' }, t), 403, 'FORBIDDEN');
      }
      await expectRefusal(server, () => server.api('GET', PROFILE, undefined, factory), 403, 'FORBIDDEN');
      await expectRefusal(server, () => server.api('PATCH', PROFILE, { supportUntil: '2030-01' }, null), 401, 'TOKEN_MISSING');
    });

    it("serves the product's security.txt (RFC 9116): public plain text, parsed by the RFC's grammar", async () => {
      server.tp.setPublicUrl('https://tp.example.test');
      try {
        const res = await fetch(`${server.url}/products/${SKU}/security.txt`);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
        const f = parseSecurityTxt(await res.text());
        assert.deepEqual(f.get('contact'), ['https://example.com/report']);
        assert.deepEqual(f.get('policy'), ['https://example.com/security/cvd']);
        assert.deepEqual(f.get('preferred-languages'), ['en, de']);
        assert.deepEqual(f.get('canonical'), [`https://tp.example.test/products/${SKU}/security.txt`]);
        const ahead = Date.parse(f.get('expires')![0]!) - Date.parse(NOW);
        assert.ok(ahead > 0 && ahead <= 365 * 86_400_000, 'Expires: ahead, less than a year (RFC 9116 §2.5.5)');
        assert.equal((await server.api('GET', PROFILE)).body.vulnerabilityHandling.securityTxtUrl, `https://tp.example.test/products/${SKU}/security.txt`);
      } finally {
        server.tp.setPublicUrl(server.url);
      }
      await server.createProduct({ sku: 'PLAIN-1', name: 'no contact', craClass: 'default', supportUntil: '2035-12-31' });
      const none = await fetch(`${server.url}/products/PLAIN-1/security.txt`);
      assert.equal(none.status, 404);
      assert.equal(none.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(((await none.json()) as { code: string }).code, 'SECURITY_TXT_NOT_CONFIGURED');
      assert.equal((await fetch(`${server.url}/.well-known/security.txt`)).status, 404, 'no installation contact configured');
      assert.equal((await fetch(`${server.url}/products/NO-SUCH/security.txt`)).status, 404);
    });

    it('the CLI sets the profile, chooses the route and shows all of it', async () => {
      const env = { TRUSTPLANE_URL: server.url, TRUSTPLANE_TOKEN: server.adminToken, TRUSTPLANE_HOME: '' };
      const set = await runCli(['product', 'profile', 'set', '--product', SKU, '--annex', 'III-I-9', '--placed-on-market', '2026-06', '--support-until', '2032-06', '--contact', 'mailto:psirt@example.com', '--no-justification'], { env });
      assert.equal(set.code, 0, set.stderr);
      const bad = await runCli(['product', 'route', '--product', SKU, '--procedure', 'A'], { env });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /CRA_PROCEDURE_NOT_ALLOWED: .*allows B\+C, H/);
      const route = await runCli(['product', 'route', '--product', SKU, '--procedure', 'A', '--harmonised-standards-applied-in-full', '--json'], { env });
      assert.equal(route.code, 0, route.stderr);
      assert.equal(JSON.parse(route.stdout).conformity.route.procedure, 'A');
      const shown = await runCli(['product', 'profile', '--product', SKU], { env });
      assert.equal(shown.code, 0, shown.stderr);
      for (const line of [
        /^category: +important-1$/m,
        /^annex entry: +III-I-9 Public key infrastructure and digital certificate issuance software$/m,
        /^technical description: +Commission Implementing Regulation \(EU\) 2025\/2392 \(OJ L, 2025\/2392, 1\.12\.2025\), Annex I, Class I, point 9$/m,
        /^what decides it: +Products used as part of a public key infrastructure whose core functionality is to manage .*OCSP responders/m,
        /^allowed procedures: +A, B\+C, H, eu-certification \(substantial or higher\)$/m,
        /^route: +A, chosen by test-admin \(admin, tok_\w+\) at 2027-01-10T12:00:00.000Z$/m,
        /^placed on market: +2026-06$/m,
        /^support until: +2032-06$/m,
        /^security updates kept: +2037-01-10 if issued today; 2042-06-30 if issued at the end of support \(Art 13\(9\)\)$/m,
        /^documentation kept: +2036-06-30 \(Art 13\(13\)\)$/m,
        /^contact: +mailto:psirt@example.com$/m,
        /^CVD policy: +https:\/\/example.com\/security\/cvd$/m,
        /^security.txt: +http:\/\/127.0.0.1:\d+\/products\/GW-CRA\/security.txt$/m,
        /^warnings: +-$/m,
      ]) {
        assert.match(shown.stdout, line);
      }
      const json = JSON.parse((await runCli(['product', 'profile', '--product', SKU, '--json'], { env })).stdout);
      assert.equal(json.annexEntry.id, 'III-I-9');
      assert.equal(json.annexEntry.description, findAnnexEntry('III-I-9')!.description);
      // an entry without a summary (every entry ships one now) would point the reader to the cited point instead
      assert.match(formatCraProfile({ ...json, annexEntry: { ...json.annexEntry, description: null } }), /^what decides it: +not summarised here: read the point cited above$/m);
      // an entry whose point is summarised shows what decides it, in the human output and the JSON
      const boot = await runCli(['product', 'profile', 'set', '--product', SKU, '--annex', 'III-I-8'], { env });
      assert.equal(boot.code, 0, boot.stderr);
      assert.match(boot.stdout, /^what decides it: +Software whose core functionality is to manage the initial start-up of a system after power-on or restart: .*UEFI firmware/m);
      const bootJson = JSON.parse((await runCli(['product', 'profile', '--product', SKU, '--json'], { env })).stdout);
      assert.deepEqual([bootJson.annexEntry.technicalDescription, bootJson.annexEntry.description], [findAnnexEntry('III-I-8')!.technicalDescription, findAnnexEntry('III-I-8')!.description]);
      // where the product is made available (Art 14): EU codes, GR taken as EL; a bad code exits 2, nothing written
      const states = await runCli(['product', 'profile', 'set', '--product', SKU, '--member-states', 'fr, gr,DE'], { env });
      assert.equal(states.code, 0, states.stderr);
      assert.match(states.stdout, /^made available in: +DE, EL, FR \(recorded by test-admin \(admin, tok_\w+\) at 2027-01-10T12:00:00.000Z\)$/m);
      const unknown = await runCli(['product', 'profile', 'set', '--product', SKU, '--member-states', 'DE,XX'], { env });
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /VALIDATION_FAILED: memberStates: "XX" is not an EU or EEA Member State code/);
      const all = JSON.parse((await runCli(['product', 'profile', 'set', '--product', SKU, '--member-states', 'all-eu', '--json'], { env })).stdout);
      assert.equal(all.madeAvailable.memberStates, 'all-eu');
      assert.match((await runCli(['product', 'profile', '--product', SKU], { env })).stdout, /^made available in: +all EU Member States \(recorded by /m);
      const withdrawn = await runCli(['product', 'profile', 'set', '--product', SKU, '--no-member-states', '--json'], { env });
      assert.equal(JSON.parse(withdrawn.stdout).madeAvailable, null);
    });
  });
}

describe("the installation's security.txt (TRUSTPLANE_SECURITY_CONTACT, _POLICY, _LANGUAGES)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      target: databaseTargets()[0]!,
      clock: new FakeClock(NOW),
      securityContact: { contact: 'mailto:security@example.com', cvdPolicyUrl: 'https://example.com/cvd', preferredLanguages: ['en'] },
    });
    await server.createProduct({ sku: 'PLAIN-2', name: 'no contact of its own', craClass: 'default', supportUntil: '2035-12-31' });
  });
  after(() => server.destroy());

  it('serves it at /.well-known/security.txt, and a product without its own contact falls back to it', async () => {
    for (const path of ['/.well-known/security.txt', '/products/PLAIN-2/security.txt']) {
      const res = await fetch(server.url + path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
      const f = parseSecurityTxt(await res.text());
      assert.deepEqual([f.get('contact'), f.get('policy'), f.get('preferred-languages')], [['mailto:security@example.com'], ['https://example.com/cvd'], ['en']], path);
      assert.equal(f.get('canonical'), undefined, 'served over plain HTTP: no Canonical (RFC 9116 §2.5.2)');
    }
    const view = (await server.api('GET', '/v1/products/PLAIN-2/cra-profile')).body;
    assert.deepEqual([view.vulnerabilityHandling.contact, view.vulnerabilityHandling.contactFrom], ['mailto:security@example.com', 'installation']);
  });
});
