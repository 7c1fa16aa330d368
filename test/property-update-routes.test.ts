/**
 * DESIGN rule 5 for the issue-12 routes test/property-routes.test.ts cannot drive from the OpenAPI
 * document: the streamed image and SBOM upload (`POST /v1/products/{sku}/blobs`,
 * application/octet-stream) and the device listener's update routes
 * (`/device/v1/{sku}/update/{trust,assignment,reports}`, mutual TLS with the device certificate).
 * Hostile requests with a fixed seed (fast-check): no answer is a 5xx or leaks a stack, the server
 * logs no internal error (an aborted upload's 500 would reach only the log), a refusal is a problem
 * with a code and changes nothing — the tables, and on PGlite the blob files in the home — and a
 * well-formed request gets the answer a model of the route predicts. A client that cuts an upload
 * short leaves no partial or half-registered blob, and the same bytes sent again then succeed.
 * TRUSTPLANE_FUZZ_SEED replays another seed; TRUSTPLANE_FUZZ_SCALE multiplies the case counts.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { FakeClock } from '../src/core/clock.ts';
import { reportBody } from '../src/server/est/device-updates.ts';
import { makeCsr } from '../src/testkit/csr.ts';
import { signTufMetadata } from '../src/updates/tuf/index.ts';
import { databaseTargets } from './support/databases.ts';
import { anyString, bodyFor, oneHostile, urlEncode, type HostileBody, type JsonSchema } from './support/hostile-requests.ts';
import { bodyTheServerGets, isHonest, sendUpload, uploadWire, type Framing } from './support/hostile-uploads.ts';
import { Workdir } from './support/openssl.ts';
import { assertNoLeak, snapshotTables, type ApiAnswer } from './support/state-snapshot.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const seed = Number(process.env.TRUSTPLANE_FUZZ_SEED ?? 20_120_612);
const scale = Number(process.env.TRUSTPLANE_FUZZ_SCALE ?? 1);
const runs = (n: number): number => Math.max(1, Math.round(n * scale));

const A = 'HU-A';
const B = 'HU-B';
/** The upload limit (TRUSTPLANE_MAX_IMAGE_BYTES), small here so that oversize uploads cost little. */
const MAX_IMAGE_BYTES = 64 * 1024;
/** device-updates.ts: a report body is at most this. */
const MAX_REPORT_BYTES = 4096;
const START = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Tables beyond the shared snapshot's that the update routes write. */
const updateTables = ['rollouts', 'rollout_devices', 'device_releases', 'device_tags', 'blob_uploads', 'blob_chunks'] as const;

/**
 * Every file under the home's blobs/ (the embedded blob store), temp files of uploads included. A
 * blob appears under its name only whole (a rename); the last test reads each one back.
 */
async function blobFiles(home: string): Promise<string> {
  return (await readdir(join(home, 'blobs'), { recursive: true }).catch(() => [] as string[])).sort().join(',');
}

/**
 * One query of the trust and update state (row counts; device, certificate, rollout, report and
 * blob columns a refusal could touch; a certificate's first use included), and the blob files.
 * Equal before and after = nothing written.
 */
async function fingerprint(server: TestServer): Promise<string> {
  const counts = sql.join([...snapshotTables, ...updateTables].map((t) => sql`(select count(*) from ${sql.table(t)})::text`));
  const digest = (table: string, expr: string) => sql`(select md5(coalesce(string_agg(${sql.raw(expr)}, ',' order by ${sql.raw(expr)}), '')) from ${sql.table(table)})`;
  const { rows } = await sql<{ f: string }>`select concat_ws('|', ${counts},
    ${digest('devices', "id || state || coalesce(current_certificate_serial, '')")},
    ${digest('certificates', "serial || status || coalesce(first_used_at::text, '')")},
    ${digest('tokens', "id || coalesce(revoked_at::text, '')")},
    ${digest('releases', 'id || state')},
    ${digest('rollouts', "id || state || stage::text || coalesce(paused_reason, '')")},
    ${digest('rollout_devices', "rollout_id || device_id || state || coalesce(reason, '')")},
    ${digest('device_releases', "device_id || coalesce(release_id, '') || highest_security_version::text")},
    ${digest('blobs', 'sha256 || length::text')}) as f`.execute(server.tp.database.db);
  return `${rows[0]!.f}|${await blobFiles(server.home)}`;
}

type UploadAuth = 'admin' | 'operator' | 'auditor' | `operator of ${typeof B}` | 'none' | 'unknown token' | 'malformed header' | 'revoked token';

interface UploadCase {
  auth: UploadAuth;
  /** the path segment, already encoded */
  sku: string;
  contentType: string | undefined;
  payload: Uint8Array;
  framing: Framing;
}

/** The answer to an upload the server received whole (`size` bytes, or `declared` up front), as the route's order of checks gives it. */
function expectedUpload(c: Pick<UploadCase, 'auth' | 'sku' | 'contentType'>, size: number, declared: number | undefined): { status: number; code?: string } {
  if (['none', 'unknown token', 'malformed header', 'revoked token'].includes(c.auth)) return { status: 401 }; // onRequest: before the body
  if (c.contentType?.split(';')[0]?.trim().toLowerCase() !== 'application/octet-stream') return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' };
  if (c.auth === 'auditor' || (c.auth === `operator of ${B}` && c.sku !== B)) return { status: 403, code: 'FORBIDDEN' };
  if (c.sku !== A && c.sku !== B) return { status: 404, code: 'PRODUCT_NOT_FOUND' };
  if ((declared ?? size) > MAX_IMAGE_BYTES || size > MAX_IMAGE_BYTES) return { status: 413, code: 'BLOB_TOO_LARGE' };
  return { status: 201 };
}

/** Who calls the device listener: a device by serial, or a client with no, a foreign or a forged certificate. */
const DEVICES = { 'A-IN': A, 'A-IN2': A, 'A-OUT': A, 'A-REV': A, 'A-SUSP': A, 'A-GONE': A, 'B-IN': B } as const;
type Serial = keyof typeof DEVICES;
type Who = Serial | 'none' | 'foreign' | 'forged';
const ACTIVE: readonly Serial[] = ['A-IN', 'A-IN2', 'A-OUT', 'B-IN'];

/** The listener's refusal of who is calling, or undefined: the caller is an active device of `sku`. */
function expectedCaller(who: Who, sku: string): { status: number; code: string } | undefined {
  if (sku !== A && sku !== B) return { status: 404, code: 'PRODUCT_NOT_FOUND' };
  if (who === 'none') return { status: 401, code: 'CLIENT_CERTIFICATE_REQUIRED' };
  if (who === 'foreign' || who === 'forged' || DEVICES[who] !== sku) return { status: 401, code: 'CLIENT_CERTIFICATE_UNTRUSTED' };
  if (who === 'A-REV' || who === 'A-GONE' || who === 'A-SUSP') return { status: 401, code: 'CLIENT_CERTIFICATE_REVOKED' }; // revoked, or on hold
  return undefined;
}

interface Report {
  releaseId: string;
  rolloutId?: string;
  outcome: 'installed' | 'rejected' | 'failed';
  reason?: string;
  detail?: string;
}

for (const target of databaseTargets()) {
  describe(`hostile uploads and device update calls (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;
    let port = 0;
    let state = '';
    let cases = 0;
    let started = 0;
    const serverErrors: string[] = [];
    /** the API listener's connections opened by raw uploads, by upload number (0: not during an upload) */
    const rawConnections = new Map<Socket, number>();
    let rawUploads = 0;
    let rawCase = 0;
    const tokens = new Map<UploadAuth, string>();
    /** the blobs stored: sha256 → bytes */
    const stored = new Map<string, Uint8Array>();
    const known: Uint8Array[] = [];
    const creds = new Map<Exclude<Who, 'none'>, { cert: string; key: string }>();
    const rel = { a: '', aDraft: '', b: '' };
    const rollouts: Record<string, { product: string; release: string; cohort: readonly Serial[] }> = {};
    let putsStarted = 0;
    let putsSettled = 0;

    const upload = async (bytes: Uint8Array, sku = A): Promise<ApiAnswer> => {
      const res = await fetch(`${server.url}/v1/products/${sku}/blobs`, { method: 'POST', headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/octet-stream' }, body: Buffer.from(bytes) });
      const type = res.headers.get('content-type') ?? '';
      return { status: res.status, type, body: await res.json() };
    };

    async function publish(sku: string, version: string, manager: KeyObject): Promise<string> {
      const image = randomBytes(300);
      assert.equal((await upload(image, sku)).status, 201);
      stored.set(sha256(image), image);
      known.push(image);
      const r = await server.api('POST', `/v1/products/${sku}/releases`, { version, securityVersion: 1, kind: 'config', updateType: 'feature', imageSha256: sha256(image) });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const draft = (await server.api('GET', `/v1/products/${sku}/releases/${r.body.id}/approval`)).body.targets;
      assert.equal((await server.api('POST', `/v1/products/${sku}/releases/${r.body.id}/approvals`, signTufMetadata(draft.signed, manager))).status, 200);
      return r.body.id as string;
    }

    async function tufRoot(sku: string): Promise<KeyObject> {
      const officer = generateKeyPairSync('ed25519');
      const manager = generateKeyPairSync('ed25519');
      const pem = (k: KeyObject) => k.export({ format: 'pem', type: 'spki' }).toString();
      const root = await server.api('POST', `/v1/products/${sku}/tuf/roots`, { officers: [{ owner: 'olga', publicKey: pem(officer.publicKey) }], rootThreshold: 1, managers: [{ owner: 'alice', publicKey: pem(manager.publicKey), expires: '2035-12-31' }], approvalThreshold: 1 });
      assert.equal(root.status, 201, JSON.stringify(root.body));
      assert.equal((await server.api('POST', `/v1/products/${sku}/tuf/roots/1/signatures`, signTufMetadata(root.body.metadata.signed, officer.privateKey))).status, 200);
      return manager.privateKey;
    }

    async function rollout(sku: string, releaseId: string, cohort: Serial[]): Promise<string> {
      const r = await server.api('POST', `/v1/products/${sku}/rollouts`, { releaseId, stages: [100], serials: cohort });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      rollouts[r.body.id] = { product: sku, release: releaseId, cohort };
      return r.body.id as string;
    }

    /** A kept-alive TLS connection per caller (a handshake per request would dominate the run time). */
    const agents = new Map<Who, Agent>();
    const agentOf = (who: Who): Agent => {
      const cred = who === 'none' ? undefined : creds.get(who);
      if (!agents.has(who)) agents.set(who, new Agent({ keepAlive: true, maxSockets: 1, ca: server.rootPem, ...(cred ?? {}) }));
      return agents.get(who)!;
    };

    /** One call on the device listener, with whatever certificate `who` holds. */
    function deviceCall(method: string, path: string, who: Who, body?: string | Uint8Array, contentType?: string): Promise<ApiAnswer> {
      return new Promise((resolve, reject) => {
        const headers: Record<string, string> = {};
        if (contentType !== undefined) headers['content-type'] = contentType;
        if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
        const req = request(`${server.estUrl}${path}`, { method, headers, agent: agentOf(who) }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => {
            const text = Buffer.concat(parts).toString('utf8');
            const type = res.headers['content-type'] ?? '';
            resolve({ status: res.statusCode ?? 0, type, body: type.includes('json') && text ? JSON.parse(text) : text });
          });
        });
        req.on('error', reject);
        req.end(body === undefined ? undefined : Buffer.from(body));
      });
    }

    before(async () => {
      started = performance.now();
      const logStream = new Writable({
        write(line: Buffer, _encoding, done) {
          // level 50 (error) and 60 (fatal): an internal error, whether or not the client saw it
          if (/"level":[56]0/.test(String(line))) serverErrors.push(String(line).slice(0, 800));
          done();
        },
      });
      server = await startTestServer({ target, est: true, clock: new FakeClock(START), updates: { maxImageBytes: MAX_IMAGE_BYTES }, logStream });
      port = Number(new URL(server.url).port);
      // Each raw upload's connection must end with its case (not stay open, paused, until a timeout).
      server.app.server.on('connection', (socket: Socket) => {
        const n = rawCase;
        if (n === 0) return;
        rawConnections.set(socket, n);
        socket.once('close', () => rawConnections.delete(socket));
      });
      work = await Workdir.create('tp-property-updates-');
      // The real store, counted: a cut-off upload is judged once the server has finished with it.
      const blobs = server.tp.updates.blobs;
      const put = blobs.put.bind(blobs);
      blobs.put = async (source, options) => {
        putsStarted++;
        try {
          return await put(source, options);
        } finally {
          putsSettled++;
        }
      };

      for (const sku of [A, B]) await server.createProduct({ sku, name: sku, craClass: 'default', supportUntil: '2040-12-31' });
      for (const [serial, sku] of Object.entries(DEVICES)) {
        assert.equal((await server.api('POST', `/v1/products/${sku}/devices`, { serial })).status, 201);
        const csr = makeCsr('ecdsa-p256');
        const enrolled = await server.api('POST', `/v1/products/${sku}/devices/${serial}/enroll`, { csr: csr.pem });
        assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
        creds.set(serial as Serial, { cert: enrolled.body.certificate, key: csr.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() });
      }
      // A certificate from no CA of ours, and one forged to carry a real device's serial number and name.
      const realSerial = new X509Certificate(creds.get('A-IN')!.cert).serialNumber;
      for (const [name, extra] of [['foreign', []], ['forged', ['-set_serial', `0x${realSerial}`]]] as const) {
        await work.opensslOk(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/serialNumber=A-IN/CN=A-IN', '-days', '2', '-keyout', `${name}.key`, '-out', `${name}.pem`, ...extra]);
        creds.set(name, { cert: (await work.read(`${name}.pem`)).toString(), key: (await work.read(`${name}.key`)).toString() });
      }

      const managerA = await tufRoot(A);
      const managerB = await tufRoot(B);
      rel.a = await publish(A, '1.0.0', managerA);
      rel.b = await publish(B, '1.0.0', managerB);
      const draft = randomBytes(200);
      assert.equal((await upload(draft)).status, 201);
      stored.set(sha256(draft), draft);
      known.push(draft);
      const created = await server.api('POST', `/v1/products/${A}/releases`, { version: '0.9.0', securityVersion: 1, kind: 'config', updateType: 'feature', imageSha256: sha256(draft) });
      rel.aDraft = created.body.id;
      await rollout(A, rel.a, ['A-IN', 'A-IN2']);
      await rollout(B, rel.b, ['B-IN']);

      // Each certificate used once (its first use is recorded), then the lifecycle decisions.
      for (const serial of Object.keys(DEVICES) as Serial[]) assert.equal((await deviceCall('GET', `/device/v1/${DEVICES[serial]}/update/trust`, serial)).status, 200);
      assert.equal((await server.api('POST', `/v1/products/${A}/devices/A-REV/revoke`, { reason: 'keyCompromise' })).status, 200);
      assert.equal((await server.api('POST', `/v1/products/${A}/devices/A-SUSP/suspend`, {})).status, 200);
      assert.equal((await server.api('POST', `/v1/products/${A}/devices/A-GONE/decommission`, {})).status, 200);

      const token = async (role: string, products?: string[]) => (await server.tp.tokens.create({ role, owner: `hostile-${role}`, ttlSeconds: 12 * 3600, ...(products ? { products } : {}) }, 'test')).secret;
      tokens.set('admin', server.adminToken);
      tokens.set('operator', await token('operator'));
      tokens.set('auditor', await token('auditor'));
      tokens.set(`operator of ${B}`, await token('operator', [B]));
      const revoked = await server.tp.tokens.create({ role: 'admin', owner: 'gone', ttlSeconds: 3600 }, 'test');
      assert.equal((await server.api('DELETE', `/v1/tokens/${revoked.record.id}`)).status, 204);
      tokens.set('revoked token', revoked.secret);
      tokens.set('unknown token', 'tp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
      assert.deepEqual(serverErrors, [], 'setup logged no error');
      state = await fingerprint(server);
    });
    after(async () => {
      for (const agent of agents.values()) agent.destroy();
      await server?.destroy();
      if (work) await rm(work.dir, { recursive: true, force: true });
      // run time per store, for the record (not asserted)
      console.log(`# ${target.name}: ${cases} hostile requests in ${((performance.now() - started) / 1000).toFixed(1)} s (seed ${seed})`);
    });

    /** No 5xx, no leak, a refusal is a problem with a code; the server logged no internal error. */
    function checkAnswer(what: string, answer: ApiAnswer | undefined): void {
      cases++;
      assert.deepEqual(serverErrors.splice(0), [], `${what}: the server logged an internal error`);
      if (!answer) return;
      assert.ok(answer.status < 500, `${what} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
      assertNoLeak(answer, what);
      if (answer.status >= 400) {
        assert.match(answer.type, /^application\/problem\+json/, `${what} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}: a refusal is a problem`);
        assert.equal(typeof (answer.body as { code?: unknown }).code, 'string', `${what}: with a code`);
      }
    }

    /** The state is what it was (`changed` false), or may have moved on (`changed` true: re-read). */
    async function checkState(what: string, changed: boolean): Promise<void> {
      const now = await fingerprint(server);
      if (!changed) assert.equal(now, state, `${what} changed the store`);
      state = now;
    }

    async function until(what: string, done: () => boolean): Promise<void> {
      for (const deadline = Date.now() + 5000; !done(); await sleep(5)) if (Date.now() > deadline) assert.fail(what);
      await sleep(1); // the route's own catch runs after the store's
    }

    const authLines = (auth: UploadAuth): string[] =>
      auth === 'none' ? [] : auth === 'malformed header' ? [`Authorization: Basic ${Buffer.from('admin:admin').toString('base64')}`] : [`Authorization: Bearer ${tokens.get(auth)!}`];

    async function runUpload(c: UploadCase): Promise<void> {
      const wire = uploadWire(`/v1/products/${c.sku}/blobs`, [...authLines(c.auth), ...(c.contentType === undefined ? [] : [`Content-Type: ${c.contentType}`])], c.payload, c.framing);
      const what = `upload ${c.payload.length} bytes to ${c.sku.slice(0, 60)} [${c.auth}, ${JSON.stringify(c.contentType)}, ${JSON.stringify(c.framing)}]`;
      const modelled = c.sku === A || c.sku === B || c.sku === 'NO-SUCH';
      const whole = bodyTheServerGets(c.payload, c.framing);
      // What the route does with what it gets before the body ends: the checks up to the store.
      const sizeSeen = c.framing.kind === 'dropped' && c.framing.chunked ? c.framing.at : c.framing.kind === 'broken chunk' ? Math.min(c.payload.length, 100) : (whole ?? c.payload).length;
      const early = expectedUpload(c, sizeSeen, wire.declared);
      const reachesStore = modelled && c.framing.kind !== 'content-length and chunked' && (early.status === 201 || (early.status === 413 && wire.declared === undefined));
      const settledBefore = putsSettled;
      const startedBefore = putsStarted;
      rawCase = ++rawUploads;
      const answer = await sendUpload(port, wire, {
        waitAfterHead: (wire.declared ?? 0) > MAX_IMAGE_BYTES,
        beforeReset: () => (reachesStore ? until(`${what}: the server never began reading the upload`, () => putsStarted > startedBefore) : Promise.resolve()),
      });
      if (reachesStore) await until(`${what}: the server never finished the upload`, () => putsSettled > settledBefore);
      // The client has closed its side: the server lets the connection go too, not holding it paused until a timeout.
      await until(`${what}: the server still holds the connection`, () => ![...rawConnections.values()].includes(rawCase));
      rawCase = 0;
      checkAnswer(what, answer);
      const shown = `${what} → ${answer ? `${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}` : 'no answer'}`;

      if (isHonest(c.framing) && modelled) {
        const expected = expectedUpload(c, c.payload.length, wire.declared);
        assert.equal(answer?.status, expected.status, shown);
        if (expected.code) assert.equal((answer.body as { code: string }).code, expected.code, shown);
      } else if (c.framing.kind === 'content-length and chunked') {
        assert.equal(answer?.status, 400, `${shown}: refused by the HTTP parser`);
      } else if (answer && modelled) {
        // The body never arrived whole: the parser's 400, or a refusal decided before the body; a 201 only for what a shorter Content-Length announced.
        const allowed = new Set([400, ...(early.status === 201 && c.framing.kind !== 'shorter' ? [] : [early.status])]);
        assert.ok(allowed.has(answer.status), `${shown}: expected one of ${[...allowed].join(', ')}`);
      }

      if (answer?.status === 201) {
        const digests = answer.body as { sha256: string; length: number };
        assert.ok(whole, `${shown}: a 201 without a whole body`);
        assert.deepEqual([digests.sha256, digests.length], [sha256(whole), whole.length], `${shown}: the digests of the bytes sent`);
        const again = stored.has(digests.sha256);
        stored.set(digests.sha256, whole);
        // the same bytes again are the same blob: nothing written
        await checkState(what, !again);
        return;
      }
      if (c.framing.kind === 'shorter' && whole && !stored.has(sha256(whole)) && (await server.tp.updates.blobs.get(sha256(whole)))) {
        // The announced prefix arrived whole before the trailing bytes broke the connection: a blob of exactly it, and nothing else.
        stored.set(sha256(whole), whole);
        await checkState(what, true);
        return;
      }
      await checkState(what, false);

      // A client that went away mid-upload sends the same bytes again: they are taken whole.
      if (!isHonest(c.framing) && c.framing.kind !== 'content-length and chunked' && modelled && expectedUpload(c, c.payload.length, c.payload.length).status === 201) {
        const retry = await upload(c.payload, c.sku);
        checkAnswer(`${what}, sent again`, retry);
        assert.equal(retry.status, 201, `${what}, sent again → ${retry.status} ${JSON.stringify(retry.body)}`);
        assert.equal((retry.body as { sha256: string }).sha256, sha256(c.payload), `${what}, sent again: the same sha256`);
        const again = stored.has(sha256(c.payload));
        stored.set(sha256(c.payload), c.payload);
        await checkState(`${what}, sent again`, !again);
      }
    }

    const payloads = (): fc.Arbitrary<Uint8Array> =>
      fc.oneof(
        { weight: 5, arbitrary: fc.uint8Array({ maxLength: 2048 }) },
        { weight: 2, arbitrary: fc.constantFrom(...known) },
        { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
        {
          weight: 2,
          arbitrary: fc.tuple(fc.constantFrom(MAX_IMAGE_BYTES - 1, MAX_IMAGE_BYTES, MAX_IMAGE_BYTES + 1, 2 * MAX_IMAGE_BYTES, 20_000), fc.uint8Array({ minLength: 16, maxLength: 16 })).map(([n, head]) => {
            const bytes = new Uint8Array(n).fill(head[0]!);
            bytes.set(head);
            return bytes;
          }),
        },
      );

    const skus = fc.oneof(
      { weight: 10, arbitrary: fc.constant(A) },
      { weight: 1, arbitrary: fc.constantFrom(B, 'NO-SUCH') },
      { weight: 1, arbitrary: anyString.filter((s) => s !== '' && s !== A && s !== B && s !== 'NO-SUCH').map(urlEncode) },
    );

    const uploadAuths = fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom<UploadAuth>('admin', 'operator') },
      { weight: 2, arbitrary: fc.constantFrom<UploadAuth>('auditor', `operator of ${B}`, 'none', 'unknown token', 'malformed header', 'revoked token') },
    );

    const contentTypes = fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/octet-stream') },
      { weight: 1, arbitrary: fc.constantFrom('Application/Octet-Stream', 'application/octet-stream; charset=binary', 'application/octet-stream;') },
      {
        weight: 3,
        arbitrary: fc.constantFrom(undefined, '', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/octet-streamx', 'application/pkcs10', 'octet-stream', '*/*', 'application/octet-stream, text/plain'),
      },
    );

    const honest = (len: number): fc.Arbitrary<Framing> =>
      fc.oneof(
        { weight: 2, arbitrary: fc.constant<Framing>({ kind: 'content-length' }) },
        { weight: 1, arbitrary: fc.array(fc.nat(len), { maxLength: 4 }).map((cuts): Framing => ({ kind: 'chunked', cuts })) },
      );

    const broken = (len: number): fc.Arbitrary<Framing> =>
      fc.oneof(
        { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 1, max: 2000 }), fc.constantFrom('end', 'reset' as const)).map(([extra, finish]): Framing => ({ kind: 'longer', extra, finish })) },
        { weight: len > 0 ? 1 : 0, arbitrary: fc.integer({ min: 1, max: Math.max(1, len) }).map((by): Framing => ({ kind: 'shorter', by })) },
        {
          weight: 4,
          arbitrary: fc.tuple(fc.nat(Math.max(0, len - 1)), fc.boolean(), fc.constantFrom('end', 'reset' as const)).map(([at, chunked, finish]): Framing => ({ kind: 'dropped', at, chunked: chunked || len === 0, finish })),
        },
        { weight: 1, arbitrary: fc.constantFrom<Framing>({ kind: 'content-length and chunked' }, { kind: 'broken chunk' }) },
      );

    const uploadCase = (framings: (len: number) => fc.Arbitrary<Framing>): fc.Arbitrary<UploadCase> =>
      payloads().chain((payload) => fc.record({ auth: uploadAuths, sku: skus, contentType: contentTypes, payload: fc.constant(payload), framing: framings(payload.length) }));

    test('blob upload, whole bodies: any token, sku, content type and size get the answer the route promises, and a refusal keeps nothing', async () => {
      await fc.assert(
        fc.asyncProperty(uploadCase(honest), async (c) => runUpload(c)),
        { seed, numRuns: runs(200), endOnFailure: true },
      );
    });

    test('blob upload, lying or broken framing and clients that go away mid-body: no partial blob, and the same bytes again succeed', async () => {
      await fc.assert(
        fc.asyncProperty(uploadCase(broken), async (c) => runUpload(c)),
        { seed: seed + 1, numRuns: runs(120), endOnFailure: true },
      );
    });

    test('blob upload: each refusal once, by name (a systematic sweep)', async () => {
      const small = randomBytes(777);
      const sweep: [string, UploadCase][] = [
        ['no token', { auth: 'none', sku: A, contentType: 'application/octet-stream', payload: small, framing: { kind: 'content-length' } }],
        ['revoked token', { auth: 'revoked token', sku: A, contentType: 'application/octet-stream', payload: small, framing: { kind: 'content-length' } }],
        ['auditor', { auth: 'auditor', sku: A, contentType: 'application/octet-stream', payload: small, framing: { kind: 'content-length' } }],
        ['operator of another product', { auth: `operator of ${B}`, sku: A, contentType: 'application/octet-stream', payload: small, framing: { kind: 'content-length' } }],
        ['unknown sku', { auth: 'admin', sku: 'NO-SUCH', contentType: 'application/octet-stream', payload: small, framing: { kind: 'content-length' } }],
        ['JSON', { auth: 'admin', sku: A, contentType: 'application/json', payload: Buffer.from('{"image":"AAAA"}'), framing: { kind: 'content-length' } }],
        ['no content type', { auth: 'admin', sku: A, contentType: undefined, payload: small, framing: { kind: 'content-length' } }],
        ['no content type, no body', { auth: 'admin', sku: A, contentType: undefined, payload: new Uint8Array(0), framing: { kind: 'content-length' } }],
        ['declared over the limit', { auth: 'admin', sku: A, contentType: 'application/octet-stream', payload: new Uint8Array(MAX_IMAGE_BYTES + 1), framing: { kind: 'content-length' } }],
        ['streamed over the limit', { auth: 'admin', sku: A, contentType: 'application/octet-stream', payload: new Uint8Array(MAX_IMAGE_BYTES + 1).fill(7), framing: { kind: 'chunked', cuts: [1000, 40_000] } }],
        ['dropped at half (FIN)', { auth: 'admin', sku: A, contentType: 'application/octet-stream', payload: randomBytes(50_000), framing: { kind: 'dropped', at: 25_000, chunked: false, finish: 'end' } }],
        ['dropped at half (RST)', { auth: 'admin', sku: A, contentType: 'application/octet-stream', payload: randomBytes(50_000), framing: { kind: 'dropped', at: 25_000, chunked: false, finish: 'reset' } }],
        ['chunked, dropped before the last chunk', { auth: 'admin', sku: A, contentType: 'application/octet-stream', payload: randomBytes(30_000), framing: { kind: 'dropped', at: 29_999, chunked: true, finish: 'reset' } }],
        ['Content-Length above the body', { auth: 'admin', sku: A, contentType: 'application/octet-stream', payload: randomBytes(1000), framing: { kind: 'longer', extra: 1, finish: 'end' } }],
        ['Content-Length and chunked', { auth: 'admin', sku: A, contentType: 'application/octet-stream', payload: randomBytes(1000), framing: { kind: 'content-length and chunked' } }],
        ['a broken chunk', { auth: 'admin', sku: A, contentType: 'application/octet-stream', payload: randomBytes(1000), framing: { kind: 'broken chunk' } }],
      ];
      for (const [, c] of sweep) await runUpload(c);
      // and the empty upload, which is a blob (content-addressed; a release refuses an empty image)
      await runUpload({ auth: 'admin', sku: A, contentType: 'application/octet-stream', payload: new Uint8Array(0), framing: { kind: 'content-length' } });
      assert.ok(stored.has(sha256(new Uint8Array(0))));
    });

    // ---- the device listener ----

    const reportPath = (sku: string) => `/device/v1/${sku}/update/reports`;

    /** The listener's answer to a well-formed report from an active device of `sku`. */
    function expectedReport(who: Serial, r: Report): { status: number; code: string } | undefined {
      const product = DEVICES[who];
      const own = product === A ? [rel.a, rel.aDraft] : [rel.b];
      if (!own.includes(r.releaseId)) return { status: 404, code: 'RELEASE_NOT_FOUND' };
      if (r.rolloutId !== undefined) {
        const ro = rollouts[r.rolloutId];
        if (!ro || ro.product !== product || ro.release !== r.releaseId || !ro.cohort.includes(who)) return { status: 404, code: 'ROLLOUT_NOT_FOUND' };
      }
      return undefined; // 201 recorded, or 200 when the same report came before
    }

    async function runDeviceCall(what: string, method: string, path: string, who: Who, body: HostileBody, expected: { status: number; code?: string } | 'accepted' | undefined): Promise<ApiAnswer> {
      const previous = state;
      const answer = await deviceCall(method, path, who, body.body, body.contentType);
      const shown = `${what} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`;
      checkAnswer(what, answer);
      if (expected === 'accepted') assert.ok(answer.status === 200 || answer.status === 201, shown);
      else if (expected) {
        assert.equal(answer.status, expected.status, shown);
        if (expected.code) assert.equal((answer.body as { code: string }).code, expected.code, shown);
      }
      // Only a new report (201) writes; the same report again (200), a read and a refusal write nothing.
      const wrote = method === 'POST' && answer.status === 201;
      await checkState(what, wrote);
      if (wrote) {
        assert.notEqual(state, previous, `${shown}: recorded, but nothing was written`);
        const last = await server.tp.database.db.selectFrom('events').select(['action', 'details']).where('action', 'like', 'update.%').orderBy('seq', 'desc').executeTakeFirstOrThrow();
        const outcome: unknown = (JSON.parse(String(body.body)) as { outcome: unknown }).outcome;
        assert.equal(last.action, `update.${String(Array.isArray(outcome) ? outcome[0] : outcome)}`, shown); // coerceTypes: ['failed'] is 'failed'
        assert.equal((last.details as { serial: string }).serial, who, shown);
      }
      return answer;
    }

    const plausibleReport = (): fc.Arbitrary<Report> =>
      fc.record(
        {
          releaseId: fc.constantFrom(rel.a, rel.a, rel.aDraft, rel.b, 'rel_00000000000000000000'),
          rolloutId: fc.constantFrom(...Object.keys(rollouts), 'rol_00000000000000000000'),
          outcome: fc.constantFrom('installed', 'rejected', 'failed'),
          reason: fc.constantFrom('MANIFEST_ROLLBACK', 'TUF_EXPIRED', 'INSTALL_HOOK_FAILED', 'X'),
          detail: fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('x'.repeat(500), '🔐'.repeat(250), 'signature by ML-DSA-65 does not verify')),
        },
        { requiredKeys: ['releaseId', 'outcome'] },
      );

    const serials = fc.oneof({ weight: 8, arbitrary: fc.constantFrom<Who>(...ACTIVE) }, { weight: 2, arbitrary: fc.constantFrom<Who>('none', 'foreign', 'forged', 'A-REV', 'A-SUSP', 'A-GONE') });
    const skuFor = (who: Who): fc.Arbitrary<string> =>
      fc.oneof(
        { weight: 12, arbitrary: fc.constant(who in DEVICES ? DEVICES[who as Serial] : A) },
        { weight: 1, arbitrary: fc.constantFrom(A, B, 'NO-SUCH', 'hu-a') },
        { weight: 1, arbitrary: anyString.filter((s) => s !== '' && s !== A && s !== B && s !== 'NO-SUCH').map(urlEncode) },
      );

    /**
     * A report body, and what the listener makes of the body alone: a well-formed report (the model
     * judges the rest), a refusal of the body whoever sends it, or neither (the invariants judge it).
     */
    interface ReportBody {
      body: HostileBody;
      report?: Report;
      refused?: { status: number; code: string };
    }
    const tooLarge = { status: 413, code: 'BODY_TOO_LARGE' };
    const reportBodies = (): fc.Arbitrary<ReportBody> => {
      const json = (kind: string, value: unknown, pad = 0): HostileBody => ({ kind, contentType: 'application/json', body: JSON.stringify(value) + ' '.repeat(pad) });
      return fc.oneof(
        { weight: 8, arbitrary: plausibleReport().map((report): ReportBody => ({ body: json('report', report), report })) },
        {
          weight: 1,
          // JSON whitespace up to the limit exactly (taken), or one byte over it
          arbitrary: fc.tuple(plausibleReport(), fc.boolean()).map(([report, over]): ReportBody => {
            const pad = MAX_REPORT_BYTES - Buffer.byteLength(JSON.stringify(report)) + (over ? 1 : 0);
            return over ? { body: json('a byte over the limit', report, pad), refused: tooLarge } : { body: json('at the limit', report, pad), report };
          }),
        },
        { weight: 4, arbitrary: oneHostile(plausibleReport()).map((v): ReportBody => ({ body: { kind: 'report with one hostile value', contentType: 'application/json', body: JSON.stringify(v) ?? 'null' } })) },
        {
          weight: 1,
          arbitrary: fc.tuple(plausibleReport(), anyString, fc.jsonValue()).map(([r, k, v]): ReportBody => {
            const body = json('extra field', { ...r, [k === 'releaseId' ? 'x' : `${k}_`]: v });
            return { body, refused: Buffer.byteLength(String(body.body)) > MAX_REPORT_BYTES ? tooLarge : { status: 400, code: 'VALIDATION_FAILED' } };
          }),
        },
        { weight: 4, arbitrary: bodyFor(reportBody as JsonSchema).filter((b) => b.kind !== 'oversized').map((body): ReportBody => ({ body })) },
        { weight: 1, arbitrary: fc.constantFrom(5000, 20_000).map((n): ReportBody => ({ body: json('huge detail', { releaseId: rel.a, outcome: 'failed', detail: 'x'.repeat(n) }), refused: tooLarge })) },
        {
          weight: 1,
          arbitrary: fc.constantFrom('\u0000', 'a\u0000b', '\udfff', 'x\ud800').map((detail): ReportBody => ({ body: json('unstorable detail', { releaseId: rel.a, outcome: 'failed', detail }), refused: { status: 400, code: 'VALIDATION_FAILED' } })),
        },
      );
    };

    test('device reports: well-formed ones get the model\'s answer, hostile bodies a problem, and a refusal writes no event and no report', async () => {
      const reportCase = serials.chain((who) => fc.record({ who: fc.constant(who), sku: skuFor(who), body: reportBodies() }));
      await fc.assert(
        fc.asyncProperty(reportCase, async ({ who, sku, body: { body, report, refused } }) => {
          const what = `POST reports ${sku.slice(0, 60)} [${who}, ${body.kind}] ${String(body.body).slice(0, 160)}`;
          // The body is read and checked first (its size, its JSON, its schema and values), then who sends it, then what it says.
          const modelled = [A, B, 'NO-SUCH', 'hu-a'].includes(sku);
          const expected = !modelled ? undefined : (refused ?? (report && (expectedCaller(who, sku) ?? expectedReport(who as Serial, report) ?? 'accepted')));
          const answer = await runDeviceCall(what, 'POST', reportPath(sku), who, body, expected);
          // whatever the body, only an active device of the product is ever heard
          if (answer.status < 400) assert.ok(ACTIVE.includes(who as Serial) && DEVICES[who as Serial] === sku, `${what}: accepted from ${who}`);
        }),
        { seed: seed + 2, numRuns: runs(300), endOnFailure: true },
      );
    });

    test('device reports: one body each for the limits and types named in the issue (a sweep)', async () => {
      const valid: Report = { releaseId: rel.a, rolloutId: Object.keys(rollouts)[0]!, outcome: 'rejected', reason: 'MANIFEST_ROLLBACK' };
      const text = JSON.stringify(valid);
      const refusals: [HostileBody, number, string][] = [
        [{ kind: 'NUL in detail', contentType: 'application/json', body: JSON.stringify({ ...valid, detail: 'a\u0000b' }) }, 400, 'VALIDATION_FAILED'],
        [{ kind: 'lone surrogate in detail', contentType: 'application/json', body: `{"releaseId":"${rel.a}","outcome":"failed","detail":"\\udfff"}` }, 400, 'VALIDATION_FAILED'],
        [{ kind: 'extra field', contentType: 'application/json', body: JSON.stringify({ ...valid, installedAt: 'now' }) }, 400, 'VALIDATION_FAILED'],
        [{ kind: '__proto__', contentType: 'application/json', body: `{"releaseId":"${rel.a}","outcome":"failed","__proto__":{"outcome":"installed"}}` }, 400, 'VALIDATION_FAILED'],
        [{ kind: 'outcome of another type', contentType: 'application/json', body: JSON.stringify({ ...valid, outcome: 1 }) }, 400, 'VALIDATION_FAILED'],
        [{ kind: 'reason not a code', contentType: 'application/json', body: JSON.stringify({ ...valid, reason: 'bricked it' }) }, 400, 'VALIDATION_FAILED'],
        [{ kind: 'detail of 501 characters', contentType: 'application/json', body: JSON.stringify({ ...valid, detail: 'x'.repeat(501) }) }, 400, 'VALIDATION_FAILED'],
        [{ kind: 'over 4096 bytes', contentType: 'application/json', body: text + ' '.repeat(MAX_REPORT_BYTES + 1 - text.length) }, 413, 'BODY_TOO_LARGE'],
        [{ kind: 'not JSON', contentType: 'application/json', body: '{"releaseId":' }, 400, 'BAD_REQUEST'],
        [{ kind: 'empty', contentType: 'application/json', body: '' }, 400, 'BAD_REQUEST'],
        [{ kind: 'no body', contentType: undefined, body: undefined }, 400, 'VALIDATION_FAILED'],
        [{ kind: 'text/plain', contentType: 'text/plain', body: text }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
        [{ kind: 'form', contentType: 'application/x-www-form-urlencoded', body: 'releaseId=x' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
        [{ kind: 'a CSR', contentType: 'application/pkcs10', body: text }, 400, 'VALIDATION_FAILED'],
        [{ kind: 'another product\'s release', contentType: 'application/json', body: JSON.stringify({ releaseId: rel.b, outcome: 'installed' }) }, 404, 'RELEASE_NOT_FOUND'],
        [{ kind: 'another product\'s rollout', contentType: 'application/json', body: JSON.stringify({ releaseId: rel.a, rolloutId: Object.keys(rollouts)[1], outcome: 'installed' }) }, 404, 'ROLLOUT_NOT_FOUND'],
      ];
      for (const [body, status, code] of refusals) await runDeviceCall(`POST reports [A-IN, ${body.kind}]`, 'POST', reportPath(A), 'A-IN', body, { status, code });
      // a rollout the device is not in
      await runDeviceCall('POST reports [A-OUT, a rollout it is not in]', 'POST', reportPath(A), 'A-OUT', { kind: 'report', contentType: 'application/json', body: text }, { status: 404, code: 'ROLLOUT_NOT_FOUND' });
      // and the well-formed report at exactly the limit is heard
      await runDeviceCall('POST reports [A-IN, 4096 bytes]', 'POST', reportPath(A), 'A-IN', { kind: 'at the limit', contentType: 'application/json', body: text + ' '.repeat(MAX_REPORT_BYTES - text.length) }, 'accepted');
    });

    test('device trust, assignment and reports: who calls (no, a foreign, a forged, another product\'s, a revoked, a suspended, a decommissioned certificate) and odd skus', async () => {
      const valid = (who: Who): HostileBody => ({ kind: 'report', contentType: 'application/json', body: JSON.stringify({ releaseId: who === 'B-IN' ? rel.b : rel.a, outcome: 'failed', reason: 'INSTALL_HOOK_FAILED' }) });
      const everyone: Who[] = ['none', 'foreign', 'forged', ...(Object.keys(DEVICES) as Serial[])];
      for (const who of everyone) {
        for (const sku of [A, B, 'NO-SUCH']) {
          const refusal = expectedCaller(who, sku);
          for (const op of ['trust', 'assignment'] as const) {
            const answer = await runDeviceCall(`GET ${op} ${sku} [${who}]`, 'GET', `/device/v1/${sku}/update/${op}`, who, { kind: 'no body', contentType: undefined, body: undefined }, refusal ?? { status: 200 });
            if (op === 'assignment' && answer.status === 200) {
              const assignment = (answer.body as { assignment: { rolloutId: string; releaseId: string } | null }).assignment;
              const ro = assignment && rollouts[assignment.rolloutId];
              if (assignment) assert.ok(ro && ro.cohort.includes(who as Serial) && ro.product === sku && ro.release === assignment.releaseId, `assignment for ${who}: ${JSON.stringify(assignment)}`);
            }
          }
          await runDeviceCall(`POST reports ${sku} [${who}]`, 'POST', reportPath(sku), who, valid(who), refusal ?? 'accepted');
        }
      }
      const odd = fc.record({
        who: serials,
        sku: fc.oneof(anyString.filter((s) => s !== '').map(urlEncode), fc.constantFrom('hu-a', 'HU-A%00', '..', '%2e%2e', 'HU-A%2F..', 'x'.repeat(65), 'x'.repeat(20_000), '%')),
        op: fc.constantFrom('trust', 'assignment', 'reports'),
        method: fc.constantFrom('GET', 'GET', 'POST', 'PUT', 'DELETE'),
      });
      await fc.assert(
        fc.asyncProperty(odd, async ({ who, sku, op, method }) => {
          const body = method === 'GET' ? { kind: 'no body', contentType: undefined, body: undefined } : valid(who);
          const answer = await runDeviceCall(`${method} ${op} ${sku.slice(0, 60)} [${who}]`, method, `/device/v1/${sku}/update/${op}`, who, body, undefined);
          assert.ok(answer.status >= 400, `${method} ${op} ${sku.slice(0, 60)}: an odd sku names no product`);
        }),
        { seed: seed + 3, numRuns: runs(120), endOnFailure: true },
      );
    });

    test('afterwards: every blob is whole (its bytes hash to its name), and no upload is left half-done', async () => {
      for (const [name, bytes] of stored) {
        const blob = await server.tp.updates.blobs.get(name);
        assert.ok(blob, `blob ${name}`);
        const hash = createHash('sha256');
        let length = 0;
        for await (const piece of blob.read()) {
          hash.update(piece);
          length += piece.byteLength;
        }
        assert.deepEqual([hash.digest('hex'), length, blob.digests.length], [name, bytes.length, bytes.length]);
      }
      const listed = target.name === 'pglite' ? (await readdir(join(server.home, 'blobs', 'sha256'), { recursive: true })).filter((n) => /[0-9a-f]{64}$/.test(n)).map((n) => n.slice(-64)) : (await server.tp.database.db.selectFrom('blobs').select('sha256').execute()).map((r) => r.sha256);
      assert.deepEqual(listed.sort(), [...stored.keys()].sort(), 'the store holds exactly the blobs whose upload was answered 201');
      assert.deepEqual(await readdir(join(server.home, 'blobs', 'tmp')).catch(() => []), [], 'no temp file');
      assert.equal(Number((await server.tp.database.db.selectFrom('blob_uploads').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n), 0, 'no upload listed as running');
    });
  });
}
