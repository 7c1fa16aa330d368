/**
 * "Nothing is written" checked for real: a snapshot of the trust state read straight from the
 * server's database (row counts of every table, plus the devices' and certificates' states),
 * taken before and after a refused call and compared.
 */
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { TestServer } from './test-server.ts';

export const snapshotTables = [
  'devices',
  'certificates',
  'device_keys',
  'events',
  'tokens',
  'products',
  'cas',
  'keys',
  'crls',
  'enrollment_batches',
  'enrollment_tokens',
  'bootstrap_cas',
  'releases',
  'blobs',
  'tuf_keys',
  'tuf_roots',
  'release_managers',
  'tuf_targets',
  'tuf_online',
  'device_tags',
  'rollouts',
  'rollout_devices',
  'device_releases',
  'vulnerabilities',
  'vulnerability_packages',
  'vulnerability_releases',
  'product_vulnerabilities',
  'release_components',
  'release_sbom_index',
  'incidents',
  'report_cases',
  'report_submissions',
  'advisories',
  'advisory_versions',
  'access_paths',
  'access_path_reviews',
  'ssh_cas',
  'access_policies',
  'access_grants',
  'access_grant_devices',
  'ssh_certificates',
  'ssh_krls',
  'access_logins',
  'attestation_nonces',
  'attestation_keys',
  'attestation_results',
  'attestation_verifier_keys',
  'attestation_manufacturer_cas',
] as const;
export type SnapshotTable = (typeof snapshotTables)[number];

export interface StateSnapshot {
  counts: Record<SnapshotTable, number>;
  devices: { serial: string; state: string; current_certificate_serial: string | null }[];
  certificates: { serial: string; status: string }[];
  /** one-time enrollment tokens: spent or not, and the hash a re-mint would change */
  enrollmentTokens: { serial: string; used: boolean; hash: string }[];
  batches: { id: string; closed: boolean }[];
  /** releases and rollouts change state in place: pause, advance, withdraw */
  releases: { id: string; state: string }[];
  rollouts: { id: string; state: string; stage: number }[];
  /** access paths change in place: a review moves the due date and may name an owner, retiring sets retired_at */
  accessPaths: { id: string; owner: string | null; review_due: string; retired: boolean }[];
  /** access grants change state in place: approve, deny, end, review */
  grants: { id: string; state: string; reviewed: boolean }[];
  /** a nonce is consumed in place; an attestation key is activated and retired in place */
  attestation: { noncesUsed: number; keys: { id: string; activated: boolean; retired: boolean }[] };
}

export async function takeSnapshot(server: Pick<TestServer, 'tp'>): Promise<StateSnapshot> {
  const db = server.tp.database.db;
  const counts = {} as Record<SnapshotTable, number>;
  for (const table of snapshotTables) {
    // raw SQL: some tables (the vulnerability register's) are typed only where they are used
    const { rows } = await sql<{ n: string | number | bigint }>`select count(*) as n from ${sql.table(table)}`.execute(db);
    // count(*) is int8: a string from `pg`, a number or bigint from PGlite
    counts[table] = Number(rows[0]!.n);
  }
  const devices = await db
    .selectFrom('devices')
    .select(['serial', 'state', 'current_certificate_serial'])
    .orderBy('product_id')
    .orderBy('serial')
    .execute();
  const certificates = await db.selectFrom('certificates').select(['serial', 'status']).orderBy('serial').execute();
  const enrollmentTokens = (await db.selectFrom('enrollment_tokens').select(['serial', 'used_at', 'token_hash']).orderBy('batch_id').orderBy('serial').execute()).map((t) => ({
    serial: t.serial,
    used: t.used_at !== null,
    hash: Buffer.from(t.token_hash).toString('hex'),
  }));
  const batches = (await db.selectFrom('enrollment_batches').select(['id', 'closed_at']).orderBy('id').execute()).map((b) => ({ id: b.id, closed: b.closed_at !== null }));
  const releases = await db.selectFrom('releases').select(['id', 'state']).orderBy('id').execute();
  const rollouts = await db.selectFrom('rollouts').select(['id', 'state', 'stage']).orderBy('id').execute();
  const { rows: accessPaths } = await sql<{ id: string; owner: string | null; review_due: string; retired: boolean }>`select id, owner, review_due::text, retired_at is not null as retired from access_paths order by id`.execute(db);
  const { rows: grants } = await sql<{ id: string; state: string; reviewed: boolean }>`select id, state, reviewed_at is not null as reviewed from access_grants order by id`.execute(db);
  const { rows: used } = await sql<{ n: string | number | bigint }>`select count(*) as n from attestation_nonces where used_at is not null`.execute(db);
  const { rows: keys } = await sql<{ id: string; activated: boolean; retired: boolean }>`select id, activated_at is not null as activated, retired_at is not null as retired from attestation_keys order by id`.execute(db);
  return { counts, devices, certificates, enrollmentTokens, batches, releases, rollouts, accessPaths, grants, attestation: { noncesUsed: Number(used[0]!.n), keys } };
}

/** Runs `call` and asserts the database holds exactly what it held before. */
export async function assertNothingWritten<T>(
  server: Pick<TestServer, 'tp'>,
  call: () => Promise<T>,
  what = 'the refused call',
): Promise<T> {
  const before = await takeSnapshot(server);
  const result = await call();
  const after = await takeSnapshot(server);
  assert.deepEqual(after, before, `${what} changed the database`);
  return result;
}

export interface ApiAnswer {
  status: number;
  type: string;
  body: unknown;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  details?: Record<string, unknown>;
}

/** No stack frame (`at f (file:1:2)`), no `Error:` text, anywhere in an answer. */
export function assertNoLeak(answer: ApiAnswer, what = 'the answer'): void {
  const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  assert.doesNotMatch(text, /Error:/, `${what} leaks an error text: ${text}`);
  assert.doesNotMatch(
    text,
    /\bat\s+\S*\s*\(?(?:file:|node:|\/)[^)\s]*:\d+:\d+/,
    `${what} leaks a stack trace: ${text}`,
  );
}

/** A refusal: the status, `application/problem+json` with the code, and no leak. */
export function assertProblem(answer: ApiAnswer, status: number, code: string, what = 'the answer'): void {
  const shown = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  assert.equal(answer.status, status, `${what}: expected ${status} ${code}, got ${answer.status} ${shown}`);
  assert.match(answer.type, /^application\/problem\+json/, `${what}: content type ${answer.type}`);
  assert.ok(typeof answer.body === 'object' && answer.body !== null, `${what}: body is not JSON: ${shown}`);
  const problem = answer.body as Problem;
  assert.equal(problem.code, code, `${what}: code ${problem.code}, expected ${code}: ${shown}`);
  assert.equal(problem.status, status, `${what}: body status`);
  assert.equal(typeof problem.title, 'string', `${what}: title`);
  assertNoLeak(answer, what);
}

/** Makes the call, asserts it is refused with `status`/`code`, and that nothing was written. */
export async function expectRefusal(
  server: Pick<TestServer, 'tp'>,
  call: () => Promise<ApiAnswer>,
  status: number,
  code: string,
  what?: string,
): Promise<Problem> {
  const answer = await assertNothingWritten(server, call, what ?? code);
  assertProblem(answer, status, code, what ?? code);
  return answer.body as Problem;
}
