/**
 * Issue 10 §5: concurrent suspend / reinstate / revoke on the devices of one product all answer
 * 2xx — in one process, and across two `trustplane serve` processes on one PostgreSQL database —
 * and every change is followed by its own CRL, numbered one above the last, whose entries are the
 * revocation state as committed. Before the fix, PostgreSQL answered 500 (`duplicate key … crls_pk`)
 * for changes that had been saved, because two publishers built the same CRL number.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { makeCsr } from '../src/testkit/csr.ts';
import { databaseTargets, freshPostgresDatabase } from './support/databases.ts';
import { crlEntries, crlNumber, opensslSerial, Workdir } from './support/openssl.ts';
import { ServeProcess } from './support/serve-process.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'CRL-RACE';
/** devices per run; each goes through suspend → reinstate → revoke, all devices at once */
const DEVICES = 24;

interface Api {
  url: string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

function apiOf(url: string, token: string): Api {
  return {
    url,
    async call(method, path, body) {
      const res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
    },
  };
}

async function ok(api: Api, method: string, path: string, body: unknown, status: number): Promise<any> {
  const r = await api.call(method, path, body);
  assert.equal(r.status, status, `${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A product with DEVICES enrolled devices; returns the issuing CA id and each device's certificate serial. */
async function seed(api: Api): Promise<{ caId: string; serials: Map<string, string> }> {
  const product = await ok(api, 'POST', '/v1/products', { sku: SKU, name: 'CRL race', craClass: 'default', supportUntil: '2036-01-01' }, 201);
  await ok(api, 'POST', `/v1/products/${SKU}/devices/import`, { devices: Array.from({ length: DEVICES }, (_, i) => ({ serial: `D${i}` })) }, 201);
  const serials = new Map<string, string>();
  for (let i = 0; i < DEVICES; i++) {
    const cert = await ok(api, 'POST', `/v1/products/${SKU}/devices/D${i}/enroll`, { csr: makeCsr('ecdsa-p256').pem }, 201);
    serials.set(`D${i}`, cert.serialNumber as string);
  }
  return { caId: product.issuingCaId as string, serials };
}

/**
 * Every device through suspend → reinstate → revoke, the devices concurrently, each request sent to
 * `apis[i % apis.length]`. Returns the statuses that were not 200.
 */
async function raceChanges(apis: Api[]): Promise<string[]> {
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: DEVICES }, async (_, i) => {
      const steps: [string, unknown][] = [['suspend', {}], ['reinstate', {}], ['revoke', { reason: 'keyCompromise' }]];
      for (const [n, [step, body]] of steps.entries()) {
        const r = await apis[(i + n) % apis.length]!.call('POST', `/v1/products/${SKU}/devices/D${i}/${step}`, body);
        if (r.status !== 200) failures.push(`D${i} ${step} → ${r.status} ${JSON.stringify(r.body)}`);
      }
    }),
  );
  return failures;
}

/** The CRLs of `caId` as stored, oldest first. */
type StoredCrl = { number: bigint; der: Uint8Array };

/**
 * The CRL story after the race: one new CRL per change, numbered without a gap or a repeat, and
 * the newest — as served at the CDP and as openssl reads it — lists exactly the revoked
 * certificates, each with keyCompromise.
 */
async function assertCrls(work: Workdir, api: Api, caId: string, before: StoredCrl[], afterRace: StoredCrl[], serials: Map<string, string>): Promise<void> {
  const last = before.at(-1)?.number ?? 0n;
  const fresh = afterRace.filter((c) => c.number > last).map((c) => c.number);
  assert.deepEqual(
    fresh,
    Array.from({ length: DEVICES * 3 }, (_, i) => last + 1n + BigInt(i)),
    'one CRL per change (3 per device), numbered strictly one above the previous',
  );
  const res = await fetch(`${api.url}/pki/${caId}/crl`);
  assert.equal(res.status, 200);
  const served = new Uint8Array(await res.arrayBuffer());
  assert.deepEqual(Buffer.from(served), Buffer.from(afterRace.at(-1)!.der), 'the CDP serves the newest CRL');
  await work.write('crl.der', served);
  const text = (await work.opensslOk(['crl', '-inform', 'DER', '-in', 'crl.der', '-text', '-noout'])).stdout;
  assert.equal(crlNumber(text), afterRace.at(-1)!.number);
  const entries = crlEntries(text);
  assert.deepEqual(
    [...entries.keys()].sort(),
    [...serials.values()].map(opensslSerial).sort(),
    'the newest CRL lists every revoked certificate and nothing else',
  );
  for (const [serial, reason] of entries) assert.equal(reason, 'Key Compromise', `${serial}'s reason`);
}

for (const target of databaseTargets()) {
  describe(`concurrent revocation changes on one product, one process (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;
    before(async () => {
      server = await startTestServer({ target });
      work = await Workdir.create('tp-crl-race-');
    });
    after(async () => {
      await server?.destroy();
      if (work) await rm(work.dir, { recursive: true, force: true });
    });

    test(`${DEVICES * 3} concurrent changes all answer 200, each with its own next CRL`, async () => {
      const api = apiOf(server.url, server.adminToken);
      const { caId, serials } = await seed(api);
      const crls = async (): Promise<StoredCrl[]> =>
        (await server.tp.database.db.selectFrom('crls').select(['crl_number', 'der']).where('ca_id', '=', caId).orderBy('crl_number').execute()).map((r) => ({
          number: BigInt(r.crl_number),
          der: new Uint8Array(r.der),
        }));
      const before = await crls();
      assert.deepEqual(await raceChanges([api]), [], 'every change answers 200');
      await assertCrls(work, api, caId, before, await crls(), serials);
    });
  });
}

describe('concurrent revocation changes on one product, two serve processes on one PostgreSQL database', () => {
  const servers: ServeProcess[] = [];
  let work: Workdir | undefined;
  let databaseUrl: string | undefined;
  before(async () => {
    const serverUrl = process.env.TRUSTPLANE_TEST_DATABASE_URL;
    if (!serverUrl) return;
    const location = await freshPostgresDatabase(serverUrl);
    if (location.kind === 'postgres') databaseUrl = location.url;
    work = await Workdir.create('tp-crl-race-two-');
  });
  after(async () => {
    for (const s of servers) {
      await s.stop();
      await rm(s.home, { recursive: true, force: true });
    }
    if (work) await rm(work.dir, { recursive: true, force: true });
  });

  test(`${DEVICES * 3} changes through both processes all answer 200, each with its own next CRL`, async (t) => {
    if (!databaseUrl || !work) return t.skip('TRUSTPLANE_TEST_DATABASE_URL is not set');
    const kek = Buffer.alloc(32, 5).toString('base64');
    // One after the other: the first creates the schema and the root of trust; the second finds them.
    for (let i = 0; i < 2; i++) {
      const home = await mkdtemp(join(tmpdir(), 'tp-crl-race-home-'));
      // The second finds the root of trust made by the first, and with it the one bootstrap token: it borrows that.
      const token = servers[0]?.token;
      servers.push(await ServeProcess.start({ home, estPort: 'off', env: { DATABASE_URL: databaseUrl, TRUSTPLANE_KEK: kek, TRUSTPLANE_LOG_LEVEL: 'warn' }, ...(token === undefined ? {} : { token }) }));
    }
    const apis = servers.map((s) => apiOf(s.url, s.token));
    const { caId, serials } = await seed(apis[0]!);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const crls = async (): Promise<StoredCrl[]> =>
        (await db.query<{ crl_number: string; der: Buffer }>('select crl_number, der from crls where ca_id = $1 order by crl_number', [caId])).rows.map((r) => ({
          number: BigInt(r.crl_number),
          der: new Uint8Array(r.der),
        }));
      const before = await crls();
      assert.deepEqual(await raceChanges(apis), [], 'every change answers 200');
      await assertCrls(work, apis[1]!, caId, before, await crls(), serials);
    } finally {
      await db.end();
    }
  });
});
