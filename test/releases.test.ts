/**
 * Issue 12, releases: an image and its SBOM are streamed into the blob store, a release names them
 * by SHA-256, and its creation is a ledger event carrying the digests. A firmware release without
 * an SBOM, or with a malformed or schema-invalid one, is refused and writes nothing; so is an
 * upload over the size limit, declared or not. A retried creation whose answer was lost is the
 * release it made (200, nothing written); another body for an existing version is refused, naming
 * what differs. The CLI does the same from files, and `keygen` makes a personal key that stays on
 * the machine.
 */
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { databaseTargets } from './support/databases.ts';
import { runCli } from './support/serve-process.ts';
import { assertNothingWritten, assertProblem, expectRefusal } from './support/state-snapshot.ts';
import { firmwareSbom } from './support/sbom.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'GW-12';
const MAX_IMAGE_BYTES = 4 * 1024 * 1024;

const digest = (alg: string, b: Uint8Array): string => createHash(alg).update(b).digest('hex');

for (const target of databaseTargets()) {
  describe(`releases: images, SBOMs, records (${target.name})`, () => {
    let server: TestServer;
    let dir: string;
    const upload = async (bytes: Uint8Array | string, token?: string): Promise<{ status: number; type: string; body: any }> => {
      const res = await fetch(`${server.url}/v1/products/${SKU}/blobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token ?? server.adminToken}`, 'content-type': 'application/octet-stream' },
        body: typeof bytes === 'string' ? bytes : Buffer.from(bytes),
      });
      return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.json() };
    };
    const createRelease = (body: Record<string, unknown>, token?: string) => server.api('POST', `/v1/products/${SKU}/releases`, body, token);

    before(async () => {
      server = await startTestServer({ target, updates: { maxImageBytes: MAX_IMAGE_BYTES } });
      await server.createProduct({ sku: SKU, name: 'Gateway', craClass: 'important-1', supportUntil: '2040-12-31' });
      dir = await mkdtemp(join(tmpdir(), 'tp-releases-'));
    });
    after(async () => {
      await server?.destroy();
      await rm(dir, { recursive: true, force: true });
    });

    it('streams an image in and answers its SHA-256, SHA-512 and length; the same bytes again are the same blob', async () => {
      const image = randomBytes(3 * 1024 * 1024 + 17);
      const first = await upload(image);
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.deepEqual(first.body, { sha256: digest('sha256', image), sha512: digest('sha512', image), length: image.length });
      const again = await upload(image);
      assert.deepEqual(again.body, first.body);
    });

    it('creates a firmware release naming its image and SBOM: one ledger event with the digests', async () => {
      const image = randomBytes(200_000);
      const sbomBytes = Buffer.from(JSON.stringify(firmwareSbom()));
      assert.equal((await upload(image)).status, 201);
      assert.equal((await upload(sbomBytes)).status, 201);
      const created = await createRelease({ version: '2.4.1', securityVersion: 7, kind: 'firmware', updateType: 'security', hardware: ['rev-c', 'rev-b'], imageName: 'fw-2.4.1.bin', imageSha256: digest('sha256', image), sbomSha256: digest('sha256', sbomBytes) });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const r = created.body;
      assert.equal(r.state, 'awaiting-approval');
      assert.deepEqual(r.hardware, ['rev-b', 'rev-c']);
      assert.deepEqual(r.image, { name: 'fw-2.4.1.bin', length: image.length, sha256: digest('sha256', image), sha512: digest('sha512', image) });
      assert.deepEqual(r.sbom, { sha256: digest('sha256', sbomBytes), specVersion: '1.6', components: 3, name: 'gw-12-firmware', version: '2.4.1', purl: 'pkg:generic/acme/gw-12-firmware@2.4.1' });
      assert.deepEqual((await server.api('GET', `/v1/products/${SKU}/releases/${r.id}`)).body, r);
      const events = await server.tp.database.db.selectFrom('events').selectAll().where('subject_id', '=', r.id).execute();
      assert.deepEqual(events.map((e) => e.action), ['release.created']);
      const details = events[0]!.details as Record<string, any>;
      assert.equal(details.image.sha256, digest('sha256', image));
      assert.equal(details.image.sha512, digest('sha512', image));
      assert.equal(details.sbom.sha256, digest('sha256', sbomBytes));
      await expectRefusal(server, () => createRelease({ version: '2.4.1', securityVersion: 8, kind: 'firmware', updateType: 'feature', imageSha256: digest('sha256', image), sbomSha256: digest('sha256', sbomBytes) }), 409, 'RELEASE_EXISTS', 'the same version again');
    });

    it('a retried creation (its answer lost) is the release it made: 200, nothing written; another body for the version is 409 naming what differs', async () => {
      const image = randomBytes(2000);
      const sbomBytes = Buffer.from(JSON.stringify(firmwareSbom('2.6.0')));
      assert.equal((await upload(image)).status, 201);
      assert.equal((await upload(sbomBytes)).status, 201);
      const body = { version: '2.6.0', securityVersion: 9, kind: 'firmware', updateType: 'security', hardware: ['rev-b', 'rev-c'], imageName: 'fw-2.6.0.bin', imageSha256: digest('sha256', image), sbomSha256: digest('sha256', sbomBytes) };
      const created = await createRelease(body);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      for (const retry of [body, { ...body, hardware: ['rev-c', 'rev-b', 'rev-b'] }]) {
        const again = await assertNothingWritten(server, () => createRelease(retry), 'a retried creation');
        assert.equal(again.status, 200, JSON.stringify(again.body));
        assert.deepEqual(again.body, created.body, 'the release the lost answer described');
      }
      const events = await server.tp.database.db.selectFrom('events').select('action').where('subject_id', '=', created.body.id).execute();
      assert.deepEqual(events.map((e) => e.action), ['release.created'], 'one event, whatever the retries');

      const other = randomBytes(2000);
      assert.equal((await upload(other)).status, 201);
      const differs = async (change: Record<string, unknown>, named: RegExp, request: Record<string, unknown> = { ...body, ...change }) => {
        const problem = await expectRefusal(server, () => createRelease(request), 409, 'RELEASE_EXISTS', JSON.stringify(change));
        assert.match(problem.detail ?? '', named);
        assert.match(problem.detail ?? '', new RegExp(created.body.id), 'the existing release is named');
      };
      await differs({ imageSha256: digest('sha256', other) }, /imageSha256/);
      await differs({ securityVersion: 10 }, /securityVersion 9 \(asked: 10\)/);
      await differs({ hardware: ['rev-b'] }, /hardware rev-b,rev-c \(asked: rev-b\)/);
      await differs({ updateType: 'feature', imageName: 'other.bin' }, /updateType security \(asked: feature\), imageName fw-2\.6\.0\.bin \(asked: other\.bin\)/);
      const { sbomSha256: _sbom, ...withoutSbom } = body;
      await differs({ sbomSha256: undefined }, /sbomSha256 [0-9a-f]{64} \(asked: none\)/, withoutSbom);
      // the same version of the other kind is another release
      const config = await createRelease({ ...withoutSbom, kind: 'config' });
      assert.equal(config.status, 201, JSON.stringify(config.body));
    });

    it('two identical creations at once make one release: one 201, one 200, one event', async () => {
      const image = randomBytes(3000);
      assert.equal((await upload(image)).status, 201);
      const body = { version: '2.7.0', securityVersion: 9, kind: 'config', updateType: 'feature', imageSha256: digest('sha256', image) };
      const answers = await Promise.all([createRelease(body), createRelease(body), createRelease(body)]);
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 201], JSON.stringify(answers.map((a) => a.body)));
      assert.equal(new Set(answers.map((a) => a.body.id)).size, 1);
      const events = await server.tp.database.db.selectFrom('events').select('action').where('subject_id', '=', answers[0]?.body.id).execute();
      assert.equal(events.length, 1);
    });

    it('refuses a firmware release without an SBOM, or with a malformed or schema-invalid one, and writes nothing', async () => {
      const image = randomBytes(1000);
      assert.equal((await upload(image)).status, 201);
      const base = { version: '3.0.0', securityVersion: 8, kind: 'firmware', updateType: 'feature', imageSha256: digest('sha256', image) };
      await expectRefusal(server, () => createRelease(base), 422, 'SBOM_REQUIRED');
      const malformed = Buffer.from('{"bomFormat": "CycloneDX", "specVersion": "1.6", ');
      assert.equal((await upload(malformed)).status, 201);
      await expectRefusal(server, () => createRelease({ ...base, sbomSha256: digest('sha256', malformed) }), 400, 'SBOM_MALFORMED');
      const invalid = Buffer.from(JSON.stringify({ ...firmwareSbom(), components: [{ type: 'library', version: '1.0' }] }));
      assert.equal((await upload(invalid)).status, 201);
      const problem = await expectRefusal(server, () => createRelease({ ...base, sbomSha256: digest('sha256', invalid) }), 422, 'SBOM_INVALID');
      assert.match(problem.detail ?? '', /components/, 'the first error names where it is');
      await expectRefusal(server, () => createRelease({ ...base, imageSha256: 'ab'.repeat(32) }), 422, 'BLOB_NOT_FOUND', 'an image never uploaded');
      // a configuration release may come without one
      assert.equal((await createRelease({ ...base, kind: 'config' })).status, 201);
    });

    it('refuses an upload over the limit, declared or streamed, and keeps nothing of it', async () => {
      const big = randomBytes(MAX_IMAGE_BYTES + 1);
      const declared = await assertNothingWritten(server, () => upload(big), 'a declared oversize upload');
      assertProblem(declared, 413, 'BLOB_TOO_LARGE');
      // chunked: no Content-Length, the store counts as it streams
      const streamed = await assertNothingWritten(server, async () => {
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < big.length; i += 65536) controller.enqueue(big.subarray(i, i + 65536));
            controller.close();
          },
        });
        const res = await fetch(`${server.url}/v1/products/${SKU}/blobs`, { method: 'POST', headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/octet-stream' }, body, duplex: 'half' });
        return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.json() };
      }, 'a streamed oversize upload');
      assertProblem(streamed, 413, 'BLOB_TOO_LARGE');
      assert.equal(await server.tp.updates.blobs.get(digest('sha256', big)), undefined, 'no blob of it');
    });

    it('roles: an auditor reads releases but cannot upload or create them', async () => {
      const { secret } = await server.tp.tokens.create({ role: 'auditor', owner: 'audrey', ttlSeconds: 3600 }, 'test');
      await expectRefusal(server, () => upload('x', secret), 403, 'FORBIDDEN', 'an auditor uploading');
      await expectRefusal(server, () => createRelease({ version: '9.9.9', securityVersion: 1, kind: 'config', updateType: 'feature', imageSha256: 'ab'.repeat(32) }, secret), 403, 'FORBIDDEN');
      const list = await server.api('GET', `/v1/products/${SKU}/releases`, undefined, secret);
      assert.equal(list.status, 200);
      assert.ok(list.body.items.length >= 2);
    });

    it('deletes a release awaiting approval, with its event', async () => {
      const image = randomBytes(500);
      assert.equal((await upload(image)).status, 201);
      const created = await createRelease({ version: '0.1.0-rc1', securityVersion: 0, kind: 'config', updateType: 'feature', imageSha256: digest('sha256', image) });
      assert.equal(created.status, 201);
      assert.equal((await server.api('DELETE', `/v1/products/${SKU}/releases/${created.body.id}`)).status, 204);
      await expectRefusal(server, () => server.api('GET', `/v1/products/${SKU}/releases/${created.body.id}`), 404, 'RELEASE_NOT_FOUND');
      const events = await server.tp.database.db.selectFrom('events').select('action').where('subject_id', '=', created.body.id).orderBy('seq').execute();
      assert.deepEqual(events.map((e) => e.action), ['release.created', 'release.deleted']);
    });

    it('CLI: release create uploads the files and records the release; keygen writes a key that stays here', async () => {
      const imageFile = join(dir, 'fw-5.0.0.bin');
      const sbomFile = join(dir, 'bom.cdx.json');
      const image = randomBytes(1024 * 1024 + 3);
      await writeFile(imageFile, image);
      await writeFile(sbomFile, JSON.stringify(firmwareSbom('5.0.0')));
      const env = { TRUSTPLANE_URL: server.url, TRUSTPLANE_TOKEN: server.adminToken, TRUSTPLANE_HOME: '' };
      const neither = await runCli(['release', 'create', '--product', SKU, '--version', '5.0.0', '--security-version', '9', '--image', imageFile, '--sbom', sbomFile], { env });
      assert.equal(neither.code, 1, 'usage error without --security or --feature');
      assert.match(neither.stderr, /--security or a --feature/);
      const run = await runCli(['release', 'create', '--product', SKU, '--version', '5.0.0', '--security-version', '9', '--image', imageFile, '--sbom', sbomFile, '--security', '--hardware', 'rev-b,rev-c', '--json'], { env });
      assert.equal(run.code, 0, run.stderr);
      const r = JSON.parse(run.stdout);
      assert.equal(r.image.sha256, digest('sha256', image));
      assert.equal(r.image.name, 'fw-5.0.0.bin');
      assert.equal(r.updateType, 'security');
      assert.deepEqual(r.hardware, ['rev-b', 'rev-c']);
      // the script re-run after a lost answer: the same release, said so
      const rerun = await runCli(['release', 'create', '--product', SKU, '--version', '5.0.0', '--security-version', '9', '--image', imageFile, '--sbom', sbomFile, '--security', '--hardware', 'rev-c,rev-b'], { env });
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.match(rerun.stderr, new RegExp(`release 5\\.0\\.0 already created \\(${r.id}\\)`));
      assert.match(rerun.stdout, new RegExp(`id: +${r.id}`));
      const changed = await runCli(['release', 'create', '--product', SKU, '--version', '5.0.0', '--security-version', '10', '--image', imageFile, '--sbom', sbomFile, '--security'], { env });
      assert.equal(changed.code, 2, 'another build under the same version is refused');
      assert.match(changed.stderr, /RELEASE_EXISTS: .*securityVersion 9 \(asked: 10\)/);
      const list = await runCli(['release', 'list', '--product', SKU], { env });
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /5\.0\.0 +9 +firmware +security +awaiting-approval/);

      const keyFile = join(dir, 'alice.key');
      const keygen = await runCli(['keygen', '--out', keyFile], { env: { TRUSTPLANE_HOME: '' } });
      assert.equal(keygen.code, 0, keygen.stderr);
      assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
      const privateKey = createPrivateKey(await readFile(keyFile));
      const publicKey = createPublicKey(await readFile(`${keyFile}.pub`));
      assert.equal(privateKey.asymmetricKeyType, 'ed25519');
      assert.ok(createPublicKey(privateKey).equals(publicKey), 'the .pub file is its public key');
      assert.match(keygen.stdout, new RegExp(`fingerprint: SHA256:${digest('sha256', publicKey.export({ format: 'der', type: 'spki' }))}`));
      const again = await runCli(['keygen', '--out', keyFile], { env: { TRUSTPLANE_HOME: '' } });
      assert.equal(again.code, 1, 'an existing key is not replaced without --force');
    });
  });
}
