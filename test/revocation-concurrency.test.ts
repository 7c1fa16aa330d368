/**
 * Issue 10 §5, issue 11: concurrent suspend / reinstate / revoke on the devices of one product all
 * answer 2xx — in one process, and across two `trustplane serve` processes on one PostgreSQL
 * database. No change builds a CRL any more (issue 11: they are batched); the next batch, or an
 * operator's publish, issues one whose entries are the revocation state as committed — also when
 * both processes publish at once and race for the same CRL number.
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

/**
 * After the race: the CRL the CDP serves, as openssl reads it, lists exactly the revoked
 * certificates, each with keyCompromise, and numbers above every CRL before the race.
 */
async function assertServedCrl(work: Workdir, api: Api, caId: string, numberBefore: bigint, serials: Map<string, string>): Promise<void> {
  const res = await fetch(`${api.url}/pki/${caId}/crl`);
  assert.equal(res.status, 200);
  await work.write('crl.der', new Uint8Array(await res.arrayBuffer()));
  const text = (await work.opensslOk(['crl', '-inform', 'DER', '-in', 'crl.der', '-text', '-noout'])).stdout;
  assert.ok(crlNumber(text) > numberBefore, `CRL ${crlNumber(text)} after ${numberBefore}`);
  const entries = crlEntries(text);
  assert.deepEqual(
    [...entries.keys()].sort(),
    [...serials.values()].map(opensslSerial).sort(),
    'the newest CRL lists every revoked certificate and nothing else',
  );
  for (const [serial, reason] of entries) assert.equal(reason, 'Key Compromise', `${serial}'s reason`);
}

async function publish(api: Api): Promise<bigint> {
  const r = await ok(api, 'POST', `/v1/products/${SKU}/crl`, {}, 201);
  return BigInt(r.full.crlNumber as string);
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

    test(`${DEVICES * 3} concurrent changes all answer 200; the next batch's CRL lists the committed state`, async () => {
      const api = apiOf(server.url, server.adminToken);
      const { caId, serials } = await seed(api);
      const before = await publish(api);
      assert.deepEqual(await raceChanges([api]), [], 'every change answers 200');
      const issued = await server.tp.issueDueCrls();
      assert.ok(issued.some((c) => c.caId === caId && c.kind === 'full'), 'the batch issues a complete CRL: the changes are due');
      await assertServedCrl(work, api, caId, before, serials);
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

  test(`${DEVICES * 3} changes through both processes all answer 200; both publish at once and the CRL lists the committed state`, async (t) => {
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
    const before = await publish(apis[0]!);
    assert.deepEqual(await raceChanges(apis), [], 'every change answers 200');
    // Both servers build the next CRL at once: one takes each number, none answers an error.
    const numbers = await Promise.all(apis.map((api) => publish(api)));
    assert.ok(numbers.every((n) => n > before));
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const stored = await db.query<{ crl_number: string }>('select crl_number from crls where ca_id = $1 and crl_number > $2', [caId, before.toString()]);
      assert.equal(new Set(stored.rows.map((r) => r.crl_number)).size, stored.rows.length, 'no CRL number twice');
      const orphans = await db.query('select 1 from crl_parts p where not exists (select 1 from crls c where c.parts_id = p.parts_id)');
      assert.equal(orphans.rowCount, 0, "the loser's parts are gone");
    } finally {
      await db.end();
    }
    await assertServedCrl(work, apis[1]!, caId, before, serials);
  });

  test('OCSP across the two processes: a revocation through one reaches the answer the other kept in memory', async (t) => {
    if (servers.length < 2 || !work) return t.skip('needs the two processes of the test before');
    const apis = servers.map((s) => apiOf(s.url, s.token));
    await ok(apis[0]!, 'POST', `/v1/products/${SKU}/devices`, { serial: 'OCSP-X' }, 201);
    const { csrPem } = await work.makeKeyAndCsr('x', 'ecdsa-p256', '/CN=x');
    const cert = await ok(apis[0]!, 'POST', `/v1/products/${SKU}/devices/OCSP-X/enroll`, { csr: csrPem }, 201);
    await work.write('x.pem', cert.certificate as string);
    await work.write('x-chain.pem', cert.chain as string);
    await work.opensslOk(['x509', '-in', 'x-chain.pem', '-out', 'x-issuing.pem']); // the first certificate of the chain
    await work.opensslOk(['ocsp', '-issuer', 'x-issuing.pem', '-cert', 'x.pem', '-no_nonce', '-reqout', 'x.req']);
    const request = await work.read('x.req');
    const caId = ((await ok(apis[1]!, 'GET', `/v1/products/${SKU}`, undefined, 200)) as { issuingCaId: string }).issuingCaId;
    const status = async (url: string): Promise<string> => {
      const res = await fetch(`${url}/pki/${caId}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: request });
      await work!.write('x.resp', new Uint8Array(await res.arrayBuffer()));
      const r = await work!.opensslOk(['ocsp', '-respin', 'x.resp', '-issuer', 'x-issuing.pem', '-cert', 'x.pem', '-noverify']);
      return /x\.pem: (\w+)/.exec(r.stdout)?.[1] ?? r.output;
    };
    // The second process makes and keeps the answer "good" (asked twice: the second from memory).
    assert.equal(await status(servers[1]!.url), 'good');
    assert.equal(await status(servers[1]!.url), 'good');
    await ok(apis[0]!, 'POST', `/v1/products/${SKU}/devices/OCSP-X/revoke`, { reason: 'keyCompromise' }, 200);
    // PostgreSQL delivers the announcement at commit; the second process forgets its answer when it
    // arrives. Asked until it says so (a liveness check: a kept "good" would say good forever).
    let seen = await status(servers[1]!.url);
    for (let i = 0; i < 200 && seen !== 'revoked'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      seen = await status(servers[1]!.url);
    }
    assert.equal(seen, 'revoked');
    assert.equal(await status(servers[0]!.url), 'revoked', 'and the revoking process at once');
  });
});
