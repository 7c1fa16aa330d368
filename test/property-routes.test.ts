/**
 * Issue 10 §5, DESIGN rule 5: every route, generated from the OpenAPI document, and the OCSP and
 * EST parsers, fed thousands of hostile requests with a fixed seed (fast-check): no answer is a
 * 5xx or leaks a stack, a refused request changes nothing in the database, a /v1 refusal is a
 * problem with a code, and a /v1 request without a valid token is 401 whatever else it holds.
 * TRUSTPLANE_FUZZ_SEED replays another seed; TRUSTPLANE_FUZZ_SCALE multiplies the case counts.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { makeCsr } from '../src/testkit/csr.ts';
import { databaseTargets, primaryDatabaseTarget } from './support/databases.ts';
import { estBody, estRequest } from './support/est-client.ts';
import { anyString, bodyFor, edgeUrlTexts, edgeValues, jsonText, urlEncode, validValueFor, type HostileBody, type JsonSchema } from './support/hostile-requests.ts';
import { Workdir } from './support/openssl.ts';
import { assertNoLeak, snapshotTables, type ApiAnswer } from './support/state-snapshot.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const seed = Number(process.env.TRUSTPLANE_FUZZ_SEED ?? 20_100_510);
const scale = Number(process.env.TRUSTPLANE_FUZZ_SCALE ?? 1);
const runs = (n: number): number => Math.max(1, Math.round(n * scale));

const SKU = 'PROP-A';

interface Operation {
  method: string;
  /** OpenAPI template: /v1/products/{sku} */
  path: string;
  params: { name: string; in: 'path' | 'query'; schema: JsonSchema }[];
  body: JsonSchema | undefined;
}

/** The routes the OpenAPI document lists. */
function operationsOf(doc: { paths: Record<string, Record<string, { parameters?: Operation['params']; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>> }): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      params: op.parameters ?? [],
      body: op.requestBody?.content?.['application/json']?.schema,
    })),
  );
}

/**
 * One query of the trust state: the row count of every table the snapshot covers, and a digest of
 * every mutable column (device states, certificate statuses, revoked tokens, spent enrollment
 * tokens, closed batches, retired keys, products' CRA profiles, access paths' reviews and retirements, removed manufacturer CAs). Equal before and after = nothing written.
 */
async function fingerprint(server: TestServer): Promise<string> {
  const counts = sql.join(snapshotTables.map((t) => sql`(select count(*) from ${sql.table(t)})::text`));
  const digest = (table: string, expr: string) => sql`(select md5(coalesce(string_agg(${sql.raw(expr)}, ',' order by ${sql.raw(expr)}), '')) from ${sql.table(table)})`;
  const { rows } = await sql<{ f: string }>`select concat_ws('|', ${counts},
    ${digest('devices', "id || state || coalesce(current_certificate_serial, '')")},
    ${digest('certificates', "serial || status || coalesce(revocation_reason, '')")},
    ${digest('tokens', "id || coalesce(revoked_at::text, '')")},
    ${digest('enrollment_tokens', "encode(token_hash, 'hex') || coalesce(used_at::text, '')")},
    ${digest('enrollment_batches', "id || coalesce(closed_at::text, '')")},
    ${digest('device_keys', "encode(spki_sha256, 'hex') || coalesce(retired_at::text, '')")},
    ${digest('access_paths', "id || coalesce(owner, '') || review_due::text || coalesce(expires_at::text, '') || coalesce(expiry_condition, '') || coalesce(retired_at::text, '')")},
    ${digest('access_grants', "id || state || coalesce(reviewed_at::text, '')")},
    ${digest('attestation_manufacturer_cas', "encode(fingerprint_sha256, 'hex') || coalesce(removed_at::text, '')")},
    ${digest('products', "id || cra_class || support_until::text || coalesce(cra_annex_entry, '') || coalesce(placed_on_market, '') || coalesce(vulnerability_contact, '') || coalesce(conformity_procedure, '')")}) as f`.execute(server.tp.database.db);
  return rows[0]!.f;
}

/** Every place in `value` a value can be put: the whole, each property and element, at any depth. */
function slotsOf(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const inner = Array.isArray(value)
    ? value.flatMap((v, i) => slotsOf(v, [...at, i]))
    : typeof value === 'object' && value !== null
      ? Object.entries(value).flatMap(([k, v]) => slotsOf(v, [...at, k]))
      : [];
  return [at, ...inner];
}

/** A copy of `value` with `edge` at `slot`. */
function replaceAt(value: unknown, slot: (string | number)[], edge: unknown): unknown {
  if (slot.length === 0) return edge;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let holder = copy;
  for (const key of slot.slice(0, -1)) holder = holder[key] as Record<string | number, unknown>;
  holder[slot.at(-1)!] = edge;
  return copy;
}

type Auth = 'admin' | 'none' | 'unknown token' | 'malformed header';

interface ApiCase {
  op: Operation;
  auth: Auth;
  path: string;
  query: string;
  body: HostileBody;
}

for (const target of databaseTargets()) {
  describe(`hostile requests for every route (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;
    let operations: Operation[] = [];
    let caIds: string[] = [];
    let batchId = '';
    let reportCaseId = '';
    let accessPathId = '';
    const grantIds: string[] = [];
    let ocspRequestDer = new Uint8Array();
    let estTokens = new Map<string, string>();
    let state = '';
    let cases = 0;
    let started = 0;

    before(async () => {
      started = performance.now();
      server = await startTestServer({ target, est: true });
      work = await Workdir.create('tp-property-');
      const product = await server.createProduct({ sku: SKU, name: 'Property', craClass: 'default', supportUntil: '2036-01-01' });
      caIds = [product.issuingCaId as string];
      await server.api('POST', `/v1/products/${SKU}/devices/import`, { devices: [{ serial: 'dev-1' }, { serial: 'dev-2' }, ...Array.from({ length: 8 }, (_, i) => ({ serial: `est-${i}` }))] });
      const enrolled = await server.api('POST', `/v1/products/${SKU}/devices/dev-2/enroll`, { csr: makeCsr('ecdsa-p256').pem });
      assert.equal(enrolled.status, 201);
      const batch = await server.createBatch(SKU, { serials: Array.from({ length: 8 }, (_, i) => `est-${i}`) });
      batchId = batch.id;
      estTokens = batch.tokens;
      // A real OCSP request for the enrolled certificate (openssl's own), to mutate.
      const chain = (await server.api('GET', `/v1/products/${SKU}/ca-chain`)).body as string;
      await work.write('issuer.pem', chain.slice(0, chain.indexOf('-----END CERTIFICATE-----') + 26)); // the issuing CA comes first
      await work.write('cert.pem', enrolled.body.certificate);
      await work.opensslOk(['ocsp', '-issuer', 'issuer.pem', '-cert', 'cert.pem', '-reqout', 'req.der']);
      ocspRequestDer = new Uint8Array(await work.read('req.der'));
      // an Article 14 report case (a severe incident's) for the report routes to reach
      const incident = await server.api('POST', `/v1/products/${SKU}/incidents`, { description: 'property test incident', awareAt: '2026-09-11T00:00:00Z' });
      assert.equal(incident.status, 201, JSON.stringify(incident.body));
      reportCaseId = incident.body.case.id;
      // an access path (issue 14's register) for its review and retire routes to reach
      const path = await server.api('POST', '/v1/access-paths', { kind: 'debug-port', name: 'UART on rev B', product: SKU, scope: 'hw:rev-b', owner: 'hw-team', expiryCondition: 'until rev B leaves the factory' });
      assert.equal(path.status, 201, JSON.stringify(path.body));
      accessPathId = path.body.id;
      // access grants for the access routes to reach (a technician's: the admin token may decide on
      // them), and the product's SSH CAs made now, so reading the CA keys writes nothing later
      const technician = (await server.tp.tokens.create({ role: 'technician', owner: 'prop-tech', ttlSeconds: 12 * 3600 }, 'test')).secret;
      for (const body of [{ devices: ['dev-2'] }, { tag: 'none' }, { product: true, breakGlass: true }]) {
        const asked = await server.api('POST', `/v1/products/${SKU}/access/grants`, { purpose: 'property test', durationSeconds: 600, ...body }, technician);
        assert.equal(asked.status, 201, JSON.stringify(asked.body));
        grantIds.push(asked.body.id);
      }
      assert.equal((await server.api('GET', `/v1/products/${SKU}/access/ca`)).status, 200);
      operations = operationsOf((await server.api('GET', '/openapi.json')).body);
      assert.ok(operations.length >= 26, `the OpenAPI document lists the /v1 routes (${operations.length})`);
      state = await fingerprint(server);
    });
    after(async () => {
      await server?.destroy();
      if (work) await rm(work.dir, { recursive: true, force: true });
      // run time per store, for the record (not asserted)
      console.log(`# ${target.name}: ${cases} hostile requests in ${((performance.now() - started) / 1000).toFixed(1)} s (seed ${seed})`);
    });

    /** After every request: no 5xx, no leak; a refusal wrote nothing. */
    async function check(what: string, method: string, answer: ApiAnswer): Promise<void> {
      cases++;
      assert.ok(answer.status < 500, `${what} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
      assertNoLeak(answer, what);
      const now = await fingerprint(server);
      if (answer.status >= 400 || method === 'GET') assert.equal(now, state, `${what} → ${answer.status} changed the database`);
      state = now;
    }

    async function send(method: string, url: string, headers: Record<string, string>, body: string | Uint8Array | undefined): Promise<ApiAnswer> {
      const res = await fetch(url, { method, headers, ...(body !== undefined && method !== 'GET' ? { body } : {}) });
      const type = res.headers.get('content-type') ?? '';
      const text = await res.text();
      let parsed: unknown = text;
      if (type.includes('json') && text) parsed = JSON.parse(text);
      return { status: res.status, type, body: parsed };
    }

    /** Path parameter values: the seeded ones, ones of the right alphabet, and anything. */
    const paramValue = (name: string, hostile: boolean): fc.Arbitrary<string> => {
      const known: Record<string, string[]> = {
        sku: [SKU, SKU, 'NO-SUCH'],
        serial: ['dev-1', 'dev-2', 'est-0', 'nope'],
        id: [batchId, 'tok_00000000000000000000', 'bat_00000000000000000000', accessPathId, 'acp_00000000000000000000'],
        caseId: [reportCaseId, reportCaseId, 'rpc_00000000000000000000'],
        stage: ['early_warning', 'final', 'intermediate'],
        grantId: [...grantIds, 'grt_00000000000000000000'],
        // a TPM manufacturer CA's SHA-256 (none is listed: the removal's lookup, not the schema, refuses it)
        fingerprint: ['0'.repeat(64), 'f'.repeat(64)],
      };
      const safe = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...(known[name] ?? ['x'])) }, { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9]{1,12}$/) });
      return hostile ? fc.oneof({ weight: 4, arbitrary: safe }, { weight: 1, arbitrary: anyString.filter((s) => s !== '') }) : safe;
    };

    const queryFor = (op: Operation): fc.Arbitrary<string> => {
      const params = op.params.filter((p) => p.in === 'query');
      const keys = params.map((p) => p.name);
      const hostileText = fc.oneof(fc.constantFrom('1', '0', '100', '1000', '1001', 'Infinity', '-Infinity', '1e400', '1e3', '0x10', '-1', '9007199254740993', '', 'active'), anyString);
      const encode = (pairs: [string, string][]) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${urlEncode(k)}=${urlEncode(v)}`).join('&')}`);
      // every parameter valid, then one of them (or one more) hostile
      const validButOne = fc
        .tuple(fc.tuple(...params.map((p) => fc.tuple(fc.constant(p.name), validValueFor(p.schema).map(String), fc.boolean()))), fc.nat(), fc.oneof(fc.constantFrom(...(keys.length > 0 ? keys : ['limit'])), anyString), hostileText)
        .map(([valid, pick, key, text]) => {
          const pairs = valid.filter(([, , include]) => include).map(([k, v]): [string, string] => [k, v]);
          const at = pairs.findIndex(([k]) => k === key);
          if (at >= 0 && pick % 2 === 0) pairs[at] = [key, text];
          else pairs.push([key, text]);
          return encode(pairs);
        });
      const anyPairs = fc.array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...(keys.length > 0 ? keys : ['limit'])) }, { weight: 1, arbitrary: anyString }), hostileText), { maxLength: 3 }).map(encode);
      return fc.oneof({ weight: 2, arbitrary: fc.constant('') }, { weight: 3, arbitrary: validButOne }, { weight: 2, arbitrary: anyPairs });
    };

    const apiCase = (auths: fc.Arbitrary<Auth>): fc.Arbitrary<ApiCase> =>
      fc.constantFrom(...operations).chain((op) =>
        auths.chain((auth) =>
          fc.record({
            op: fc.constant(op),
            auth: fc.constant(auth),
            path: fc
              .tuple(...[...op.path.matchAll(/\{(\w+)\}/g)].map((m) => paramValue(m[1]!, auth === 'admin')))
              .map((values) => {
                let i = 0;
                return op.path.replace(/\{\w+\}/g, () => urlEncode(values[i++]!));
              }),
            query: queryFor(op),
            body: op.method === 'GET' || op.method === 'DELETE' ? fc.constant<HostileBody>({ kind: 'no body', contentType: undefined, body: undefined }) : bodyFor(op.body),
          }),
        ),
      );

    const authHeader = (auth: Auth): Record<string, string> =>
      ({
        admin: { authorization: `Bearer ${server.adminToken}` },
        none: {},
        'unknown token': { authorization: 'Bearer tp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
        'malformed header': { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
      })[auth];

    async function runApiCase(c: ApiCase): Promise<ApiAnswer> {
      const headers = { ...authHeader(c.auth), ...(c.body.contentType === undefined ? {} : { 'content-type': c.body.contentType }) };
      const answer = await send(c.op.method, server.url + c.path + c.query, headers, c.body.body);
      const what = `${c.op.method} ${c.path.slice(0, 120)}${c.query.slice(0, 80)} [${c.auth}, ${c.body.kind}]`;
      await check(what, c.op.method, answer);
      if (answer.status >= 400) {
        assert.match(answer.type, /^application\/problem\+json/, `${what.slice(0, 200)} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}: a refusal is a problem`);
        assert.equal(typeof (answer.body as { code?: unknown }).code, 'string', `${what}: with a code`);
      }
      return answer;
    }

    test('every /v1 route: valid shapes with hostile values, wrong types, broken bodies (admin token)', async () => {
      await fc.assert(
        fc.asyncProperty(apiCase(fc.constant<Auth>('admin')), async (c) => {
          await runApiCase(c);
        }),
        { seed, numRuns: runs(1500), endOnFailure: true },
      );
    });

    // the sweep checks input validation, the same code whatever the store: on one target (primaryDatabaseTarget)
    test('every field and parameter of every /v1 route, one edge value at a time (a systematic sweep)', { skip: target.name !== primaryDatabaseTarget().name && 'swept on the primary target only' }, async () => {
      const seeded = (path: string, op?: Operation) =>
        path
          .replace(/\{sku\}/g, SKU)
          .replace(/\{serial\}/g, 'dev-1')
          .replace(/\{id\}/g, op?.path.startsWith('/v1/access-paths/') ? accessPathId : batchId)
          .replace(/\{caseId\}/g, reportCaseId)
          .replace(/\{stage\}/g, 'notification')
          .replace(/\{grantId\}/g, grantIds[0]!);
      for (const op of operations) {
        const path = seeded(op.path, op);
        const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
        const baseline = fc.sample(validValueFor(op.body), { seed, numRuns: 1 })[0];
        const json = (v: unknown): HostileBody => ({ kind: 'one edge value', contentType: 'application/json', body: jsonText(v) });
        const noBody: HostileBody = { kind: 'no body', contentType: undefined, body: undefined };
        if (hasBody) {
          for (const slot of slotsOf(baseline)) {
            for (const edge of edgeValues) await runApiCase({ op, auth: 'admin', path, query: '', body: json(replaceAt(baseline, slot, edge)) });
          }
        }
        for (const p of op.params) {
          for (const text of edgeUrlTexts) {
            const query = p.in === 'query' ? `?${p.name}=${text}` : '';
            const at = p.in === 'path' ? op.path.replace(`{${p.name}}`, text).replace(/\{\w+\}/g, (m) => seeded(m, op)) : path;
            await runApiCase({ op, auth: 'admin', path: at, query, body: hasBody ? json(baseline) : noBody });
          }
        }
      }
    });

    test('every /v1 route without a valid token is 401, whatever the body, query or content type', async () => {
      // each route once, deterministically, with a body that would be refused if it were read
      for (const op of operations) {
        const path = op.path.replace(/\{sku\}/g, SKU).replace(/\{serial\}/g, 'dev-1').replace(/\{id\}/g, batchId).replace(/\{grantId\}/g, grantIds[0] ?? 'x');
        for (const auth of ['none', 'unknown token', 'malformed header'] as const) {
          const answer = await runApiCase({ op, auth, path, query: '?limit=Infinity', body: { kind: 'broken JSON', contentType: 'application/json', body: '{"\udfff":' } });
          assert.equal(answer.status, 401, `${op.method} ${op.path} [${auth}] → ${answer.status} ${JSON.stringify(answer.body)}`);
        }
      }
      await fc.assert(
        fc.asyncProperty(apiCase(fc.constantFrom<Auth>('none', 'unknown token', 'malformed header')), async (c) => {
          const answer = await runApiCase(c);
          const what = `${c.op.method} ${c.path.slice(0, 120)} [${c.auth}, ${c.body.kind}] → ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`;
          // A request line past Node's header limit (16 KiB) is refused by the HTTP parser, before any route: 431.
          if ((c.path + c.query).length > 16 * 1024) assert.ok(answer.status === 401 || answer.status === 431, what);
          else assert.equal(answer.status, 401, what);
        }),
        { seed: seed + 1, numRuns: runs(400), endOnFailure: true },
      );
    });

    test('OCSP (RFC 6960 Appendix A): GET and POST with noise, truncated and mutated DER, huge bodies', async () => {
      const caId = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...caIds) }, { weight: 1, arbitrary: fc.constantFrom('ca_00000000000000000000', 'ca_', 'x') });
      const mutated = fc
        .tuple(fc.nat(ocspRequestDer.length), fc.array(fc.tuple(fc.nat(ocspRequestDer.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }))
        .map(([cut, flips]) => {
          const der = new Uint8Array(ocspRequestDer);
          for (const [at, byte] of flips) der[at] = byte;
          return der.subarray(0, cut === 0 ? der.length : cut);
        });
      const der = fc.oneof(
        { weight: 6, arbitrary: mutated },
        { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }) },
        { weight: 1, arbitrary: fc.constant(ocspRequestDer) },
        { weight: 1, arbitrary: fc.constantFrom(Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff), Uint8Array.of(0x30, 0x80), new Uint8Array(64 * 1024 + 1).fill(0x30), new Uint8Array(0)) },
      );
      const contentType = fc.constantFrom('application/ocsp-request', 'application/ocsp-request', 'application/octet-stream', 'application/json', 'text/plain');
      const getPath = fc.oneof(
        { weight: 4, arbitrary: der.map((d) => encodeURIComponent(Buffer.from(d).toString('base64'))) },
        { weight: 1, arbitrary: der.map((d) => Buffer.from(d).toString('base64url')) },
        { weight: 2, arbitrary: anyString.map(urlEncode) },
        { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%ED%BF%BF', 'A'.repeat(100_000), '====', '') },
      );
      const ocspCase = fc.oneof(
        fc.record({ method: fc.constant('POST' as const), caId, der, contentType }),
        fc.record({ method: fc.constant('GET' as const), caId, encoded: getPath }),
      );
      await fc.assert(
        fc.asyncProperty(ocspCase, async (c) => {
          const base = `${server.url}/pki/${c.caId}/ocsp`;
          const answer =
            c.method === 'POST' ? await send('POST', base, { 'content-type': c.contentType }, c.der) : await send('GET', `${base}/${c.encoded}`, {}, undefined);
          await check(`OCSP ${c.method} ${c.caId}`, c.method, answer);
        }),
        { seed: seed + 2, numRuns: runs(600), endOnFailure: true },
      );
    });

    test('EST simpleenroll / simplereenroll / serverkeygen bodies: base64 noise, truncated DER, huge bodies', async () => {
      const csrDer = makeCsr('ecdsa-p256').der;
      const body = fc.oneof(
        { weight: 3, arbitrary: fc.nat(csrDer.length - 1).map((cut) => estBody(csrDer.subarray(0, cut))) },
        { weight: 2, arbitrary: fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString('base64')) },
        { weight: 2, arbitrary: anyString },
        { weight: 1, arbitrary: fc.constant(estBody(csrDer)) },
        { weight: 1, arbitrary: fc.constantFrom('', '====', '-----BEGIN CERTIFICATE REQUEST-----\n', 'A'.repeat(300_000), `${estBody(csrDer)}\u0000`) },
      );
      const basic = fc.oneof(
        fc.constant(undefined),
        fc.constantFrom(...estTokens.entries()).map(([user, password]) => ({ user, password })),
        fc.record({ user: fc.constantFrom('est-0', 'dev-1', '', ':'), password: anyString }),
      );
      const estCase = fc.record({
        operation: fc.constantFrom('simpleenroll', 'simplereenroll', 'serverkeygen'),
        sku: fc.constantFrom(SKU, SKU, 'NO-SUCH'),
        basic,
        body,
        contentType: fc.constantFrom('application/pkcs10', 'application/pkcs10', 'application/json', 'text/plain', 'application/pkcs10; charset=utf-16'),
      });
      await fc.assert(
        fc.asyncProperty(estCase, async (c) => {
          const answer = await estRequest(`${server.estUrl}/.well-known/est/${c.sku}/${c.operation}`, 'POST', {
            ca: server.rootPem,
            body: c.body,
            contentType: c.contentType,
            ...(c.basic ? { basic: c.basic } : {}),
          });
          await check(`EST ${c.operation} ${c.sku} [${c.basic ? 'basic' : 'no credentials'}, ${c.contentType}]`, 'POST', answer);
        }),
        { seed: seed + 3, numRuns: runs(300), endOnFailure: true },
      );
    });
  });
}
