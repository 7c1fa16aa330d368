/**
 * Issue 12: a release reaches devices only through people's keys. The product security officers
 * sign the product's TUF root (2 of 2, `tuf init` + `tuf sign-root`); release managers approve a
 * release (2 of 3, `release approve`, signed on their machines: Ed25519 and ECDSA P-256); at the
 * threshold the server publishes targets, snapshot and timestamp and signs the hybrid boot
 * manifest. The real tuf-js client then downloads exactly the approved image; the manifest
 * verifies with the product's keys. Refused, with nothing written: a key that is no manager, a
 * broken signature, an approval of a published release, an approval over a draft made stale by
 * another publication, deleting a published security release before its retention date.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Updater } from 'tuf-js';
import { verifyBootManifest } from '../src/updates/boot-manifest/index.ts';
import { signTufMetadata } from '../src/updates/tuf/index.ts';
import { databaseTargets } from './support/databases.ts';
import { runCli } from './support/serve-process.ts';
import { assertNothingWritten, expectRefusal } from './support/state-snapshot.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { firmwareSbom } from './support/sbom.ts';

const SKU = 'GW-TUF';
const HOUR = 3_600_000;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface Person {
  name: string;
  key: KeyObject;
  keyFile: string;
  pubFile: string;
}

for (const target of databaseTargets()) {
  describe(`release publication through TUF (${target.name})`, () => {
    let server: TestServer;
    let dir: string;
    let env: Record<string, string>;
    const people = new Map<string, Person>();

    async function makePerson(name: string, alg: 'ed25519' | 'ecdsa-p256'): Promise<Person> {
      const { privateKey, publicKey } = alg === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const keyFile = join(dir, `${name}.key`);
      await writeFile(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
      await writeFile(`${keyFile}.pub`, publicKey.export({ format: 'pem', type: 'spki' }));
      const p = { name, key: privateKey, keyFile, pubFile: `${keyFile}.pub` };
      people.set(name, p);
      return p;
    }
    const cli = async (args: string[]) => {
      const run = await runCli(args, { env });
      assert.equal(run.code, 0, `${args.slice(0, 2).join(' ')}: ${run.stderr}`);
      return run;
    };
    const upload = async (bytes: Uint8Array): Promise<string> => {
      const res = await fetch(`${server.url}/v1/products/${SKU}/blobs`, { method: 'POST', headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/octet-stream' }, body: Buffer.from(bytes) });
      assert.equal(res.status, 201);
      return ((await res.json()) as { sha256: string }).sha256;
    };
    async function createRelease(version: string, securityVersion: number, image: Uint8Array, updateType = 'security'): Promise<string> {
      const sbom = await upload(Buffer.from(JSON.stringify(firmwareSbom(version))));
      const r = await server.api('POST', `/v1/products/${SKU}/releases`, { version, securityVersion, kind: 'firmware', updateType, hardware: ['rev-b'], imageName: `fw-${version}.bin`, imageSha256: await upload(image), sbomSha256: sbom });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id as string;
    }
    /** A manager's approval through the API: the draft fetched and signed here, as the CLI does. */
    async function approveViaApi(releaseId: string, signer: KeyObject, targets?: { signed: unknown }) {
      const draft = targets ?? (await server.api('GET', `/v1/products/${SKU}/releases/${releaseId}/approval`)).body.targets;
      return server.api('POST', `/v1/products/${SKU}/releases/${releaseId}/approvals`, signTufMetadata(draft.signed, signer));
    }
    async function device(): Promise<Updater> {
      const home = await mkdtemp(join(dir, 'device-'));
      await mkdir(join(home, 'metadata'));
      await mkdir(join(home, 'targets'));
      const root1 = await fetch(`${server.url}/tuf/${SKU}/metadata/1.root.json`);
      assert.equal(root1.status, 200);
      await writeFile(join(home, 'metadata', 'root.json'), Buffer.from(await root1.arrayBuffer()));
      return new Updater({ metadataDir: join(home, 'metadata'), targetDir: join(home, 'targets'), metadataBaseUrl: `${server.url}/tuf/${SKU}/metadata`, targetBaseUrl: `${server.url}/tuf/${SKU}/targets`, config: { fetchRetry: false } });
    }

    before(async () => {
      server = await startTestServer({ target });
      await server.createProduct({ sku: SKU, name: 'Gateway', craClass: 'important-1', supportUntil: '2040-12-31' });
      dir = await mkdtemp(join(tmpdir(), 'tp-tuf-'));
      env = { TRUSTPLANE_URL: server.url, TRUSTPLANE_TOKEN: server.adminToken, TRUSTPLANE_HOME: '' };
      await makePerson('olga', 'ed25519');
      await makePerson('oscar', 'ed25519');
      await makePerson('alice', 'ed25519');
      await makePerson('bob', 'ecdsa-p256');
      await makePerson('carol', 'ed25519');
      await makePerson('mallory', 'ed25519');
    });
    after(async () => {
      await server?.destroy();
      await rm(dir, { recursive: true, force: true });
    });

    it('tuf init proposes root 1; it is published once both officers have signed it on their machines', async () => {
      const p = (n: string) => `${n}=${people.get(n)!.pubFile}`;
      const init = await cli(['tuf', 'init', '--product', SKU, '--officer', p('olga'), '--officer', p('oscar'), '--root-threshold', '2', '--manager', p('alice'), '--manager', p('bob'), '--manager', `${p('carol')}:2031-06-30`, '--managers-expire', '2030-12-31', '--approvals', '2', '--json']);
      const proposed = JSON.parse(init.stdout);
      assert.equal(proposed.version, 1);
      assert.equal(proposed.state, 'proposed');
      assert.deepEqual(proposed.managers.map((m: { owner: string; expires: string }) => [m.owner, m.expires.slice(0, 10)]), [['alice', '2030-12-31'], ['bob', '2030-12-31'], ['carol', '2031-06-30']]);
      assert.equal((await fetch(`${server.url}/tuf/${SKU}/metadata/1.root.json`)).status, 404, 'a proposal is not served');
      const first = await cli(['tuf', 'sign-root', '--product', SKU, '--key', people.get('olga')!.keyFile]);
      assert.match(first.stdout, /1 of 2 officer signatures/);
      await expectRefusal(server, () => server.api('POST', `/v1/products/${SKU}/tuf/roots/1/signatures`, signTufMetadata(proposed.metadata.signed, people.get('mallory')!.key)), 403, 'TUF_KEY_NOT_AUTHORISED', 'a stranger signing the root');
      const second = await cli(['tuf', 'sign-root', '--product', SKU, '--key', people.get('oscar')!.keyFile]);
      assert.match(second.stdout, /root 1 is published/);
      const served = JSON.parse(await (await fetch(`${server.url}/tuf/${SKU}/metadata/1.root.json`)).text());
      assert.equal(served.signatures.length, 2);
      assert.equal((await fetch(`${server.url}/tuf/${SKU}/metadata/2.root.json`)).status, 404);
      const events = await server.tp.database.db.selectFrom('events').select('action').where('subject_id', '=', SKU).where('action', 'like', 'tuf.%').orderBy('seq').execute();
      assert.deepEqual(events.map((e) => e.action), ['tuf.root-proposed', 'tuf.root-signed', 'tuf.root-signed', 'tuf.root-published']);
    });

    let imageA: Buffer;
    let releaseA: string;
    it('2 of 3 managers approve with the CLI; the release is published and tuf-js downloads exactly its image', async () => {
      imageA = randomBytes(300_000);
      releaseA = await createRelease('2.4.1', 7, imageA);
      const imageFile = join(dir, 'fw-2.4.1.bin');
      await writeFile(imageFile, imageA);
      const wrongImage = join(dir, 'other.bin');
      await writeFile(wrongImage, randomBytes(10));
      const refused = await runCli(['release', 'approve', '--product', SKU, '--release', releaseA, '--key', people.get('alice')!.keyFile, '--image', wrongImage], { env });
      assert.equal(refused.code, 1, 'not signed: another image');
      assert.match(refused.stderr, /not the image this release publishes/);
      const first = await cli(['release', 'approve', '--product', SKU, '--release', releaseA, '--key', people.get('alice')!.keyFile, '--image', imageFile]);
      assert.match(first.stdout, /approved \(1 of 2\)/);
      assert.match(first.stderr, new RegExp(`sha256: +${sha256(imageA)}`), 'the signer is shown what they approve');
      assert.equal((await fetch(`${server.url}/tuf/${SKU}/metadata/timestamp.json`)).status, 404, 'nothing published at 1 of 2');
      const again = await cli(['release', 'approve', '--product', SKU, '--release', releaseA, '--key', people.get('alice')!.keyFile]);
      assert.match(again.stdout, /approved \(1 of 2\)/, 'the same approval twice counts once');
      const second = await cli(['release', 'approve', '--product', SKU, '--release', releaseA, '--key', people.get('bob')!.keyFile]);
      assert.match(second.stdout, /release 2\.4\.1 is published/);

      const updater = await device();
      await updater.refresh();
      const info = await updater.getTargetInfo('firmware/2.4.1/fw-2.4.1.bin');
      assert.ok(info, 'the device finds the release');
      assert.deepEqual(info.custom, { releaseId: releaseA, version: '2.4.1', securityVersion: 7, kind: 'firmware', hardware: ['rev-b'] });
      const downloaded = await readFile(await updater.downloadTarget(info));
      assert.ok(downloaded.equals(imageA), 'byte for byte the approved image');

      const release = (await server.api('GET', `/v1/products/${SKU}/releases/${releaseA}`)).body;
      assert.equal(release.state, 'published');
      const actions = (await server.tp.database.db.selectFrom('events').select(['action', 'details']).where('subject_id', '=', releaseA).orderBy('seq').execute()).map((e) => e.action);
      assert.deepEqual(actions, ['release.created', 'release.approved', 'release.approved', 'release.published', 'release.manifest-signed']);

      // The approval that published it, sent again (its answer was lost): the publication, nothing written.
      const publication = (await server.api('GET', `/v1/products/${SKU}/releases/${releaseA}/approval`)).body;
      assert.equal(publication.published, true);
      const retried = await assertNothingWritten(server, () => approveViaApi(releaseA, people.get('bob')!.key, publication.targets), 'the publishing approval again');
      assert.deepEqual([retried.status, retried.body.published, retried.body.approvals.length], [200, true, 2]);
      const rerun = await cli(['release', 'approve', '--product', SKU, '--release', releaseA, '--key', people.get('bob')!.keyFile]);
      assert.equal(rerun.stdout, 'release 2.4.1 is already published (your approval counted)\n');
      const late = await cli(['release', 'approve', '--product', SKU, '--release', releaseA, '--key', people.get('carol')!.keyFile]);
      assert.equal(late.stdout, 'release 2.4.1 is already published; nothing to approve\n');
      await expectRefusal(server, () => approveViaApi(releaseA, people.get('carol')!.key, publication.targets), 409, 'RELEASE_NOT_AWAITING_APPROVAL', 'a new approval after publication');
    });

    it('the boot manifest is signed with Ed25519 and ML-DSA-65 and describes the image', async () => {
      const summary = (await server.api('GET', `/v1/products/${SKU}/tuf`)).body;
      const res = await fetch(`${server.url}/tuf/${SKU}/manifests/${releaseA}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/cose/);
      const manifest = verifyBootManifest(new Uint8Array(await res.arrayBuffer()), { ed25519Spki: Buffer.from(summary.manifestKeys.ed25519, 'base64'), mlDsa65Spki: Buffer.from(summary.manifestKeys.mlDsa65, 'base64') });
      assert.equal(manifest.product, SKU);
      assert.equal(manifest.version, '2.4.1');
      assert.equal(manifest.securityVersion, 7);
      assert.deepEqual(manifest.hardware, ['rev-b']);
      assert.equal(Buffer.from(manifest.image.sha256).toString('hex'), sha256(imageA));
      assert.equal(manifest.image.length, imageA.length);
    });

    it('refuses approvals that must not count, and writes nothing', async () => {
      const releaseB = await createRelease('2.5.0', 8, randomBytes(1000), 'feature');
      const draft = (await server.api('GET', `/v1/products/${SKU}/releases/${releaseB}/approval`)).body.targets;
      await expectRefusal(server, () => approveViaApi(releaseB, people.get('mallory')!.key, draft), 403, 'TUF_KEY_NOT_AUTHORISED', 'a key that is no release manager');
      const forged = { ...signTufMetadata(draft.signed, people.get('alice')!.key), sig: '00'.repeat(64) };
      await expectRefusal(server, () => server.api('POST', `/v1/products/${SKU}/releases/${releaseB}/approvals`, forged), 422, 'TUF_SIGNATURE_INVALID', 'a broken signature');
      await expectRefusal(server, () => approveViaApi(releaseA, people.get('carol')!.key, draft), 409, 'RELEASE_NOT_AWAITING_APPROVAL', 'a published release');

      // B's draft extends targets 2; C is published first: approvals over B's old draft no longer count.
      assert.equal((await approveViaApi(releaseB, people.get('alice')!.key, draft)).status, 200);
      const releaseC = await createRelease('2.5.1', 8, randomBytes(2000));
      assert.equal((await approveViaApi(releaseC, people.get('alice')!.key)).status, 200);
      assert.equal((await approveViaApi(releaseC, people.get('carol')!.key)).body.published, true);
      await expectRefusal(server, () => approveViaApi(releaseB, people.get('bob')!.key, draft), 409, 'RELEASE_APPROVAL_STALE', 'an approval over a stale draft');
      // fetched again, B's draft extends targets 3 and carries C too
      const fresh = (await server.api('GET', `/v1/products/${SKU}/releases/${releaseB}/approval`)).body;
      assert.deepEqual(Object.keys(fresh.targets.signed.targets).sort(), ['firmware/2.4.1/fw-2.4.1.bin', 'firmware/2.5.0/fw-2.5.0.bin', 'firmware/2.5.1/fw-2.5.1.bin']);
      assert.deepEqual(fresh.approvals, [], 'approvals start again on the new draft');
    });

    it('a published security release cannot be deleted before its retention date (CRA Art 13(9))', async () => {
      const problem = await expectRefusal(server, () => server.api('DELETE', `/v1/products/${SKU}/releases/${releaseA}`), 409, 'RELEASE_RETAINED');
      assert.match(problem.detail ?? '', /retained until 2040-12-31/, 'the rest of the support period is longer than ten years from now');
    });

    it('maintenance re-signs the timestamp before it expires; a device keeps updating', async () => {
      const summary = await server.api('GET', `/v1/products/${SKU}/tuf`);
      assert.equal(summary.status, 200, JSON.stringify(summary.body));
      const before = summary.body.timestamp;
      assert.deepEqual((await server.tp.maintain()).tufRefreshed, [], 'nothing due yet');
      server.clock.advance(13 * HOUR);
      assert.deepEqual((await server.tp.maintain()).tufRefreshed, [SKU]);
      // (the test's admin token lives 12 hours: a fresh one for the read)
      const { secret } = await server.tp.tokens.create({ role: 'auditor', owner: 'audrey', ttlSeconds: 3600 }, 'test');
      const afterRefresh = (await server.api('GET', `/v1/products/${SKU}/tuf`, undefined, secret)).body.timestamp;
      assert.equal(afterRefresh.version, before.version + 1);
      const updater = await device();
      await updater.refresh();
      assert.ok(await updater.getTargetInfo('firmware/2.5.1/fw-2.5.1.bin'));
    });

    it('the managers renew the targets before they expire (`tuf sign-targets`): the same targets, the next version, a later expiry', async () => {
      env = { ...env, TRUSTPLANE_TOKEN: (await server.tp.tokens.create({ role: 'admin', owner: 'test-admin-later', ttlSeconds: 3600 }, 'test')).secret };
      const version = (await server.api('GET', `/v1/products/${SKU}/tuf`, undefined, env.TRUSTPLANE_TOKEN)).body.targets.version as number;
      const published = JSON.parse(await (await fetch(`${server.url}/tuf/${SKU}/metadata/${version}.targets.json`)).text());
      const first = await cli(['tuf', 'sign-targets', '--product', SKU, '--key', people.get('alice')!.keyFile]);
      assert.match(first.stderr, /the targets are renewed before they expire/);
      assert.match(first.stdout, new RegExp(`^signed; targets version ${version + 1} has 1 of 2 release-manager signatures\n$`));
      const stranger = await runCli(['tuf', 'sign-targets', '--product', SKU, '--key', people.get('mallory')!.keyFile], { env });
      assert.notEqual(stranger.code, 0);
      assert.match(stranger.stderr, /TUF_KEY_NOT_AUTHORISED/);
      const second = await cli(['tuf', 'sign-targets', '--product', SKU, '--key', people.get('bob')!.keyFile]);
      assert.equal(second.stdout, `targets version ${version + 1} is published\n`);
      const renewed = JSON.parse(await (await fetch(`${server.url}/tuf/${SKU}/metadata/${version + 1}.targets.json`)).text());
      assert.deepEqual(renewed.signed.targets, published.signed.targets);
      assert.ok(renewed.signed.expires > published.signed.expires, `${renewed.signed.expires} after ${published.signed.expires}`);
      const updater = await device();
      await updater.refresh();
      assert.ok(await updater.getTargetInfo('firmware/2.5.1/fw-2.5.1.bin'));
    });

    it('a rotation that changes who approves waits for its managers to re-sign the targets, and goes out with them (`tuf rotate`, `tuf sign-root`, `tuf sign-targets`)', async () => {
      const p = (n: string) => `${n}=${people.get(n)!.pubFile}`;
      // bob leaves, carol stays, dave joins: the published targets (alice + bob) carry only alice under root 2.
      await makePerson('dave', 'ecdsa-p256');
      const rotated = JSON.parse((await cli(['tuf', 'rotate', '--product', SKU, '--officer', p('olga'), '--officer', p('oscar'), '--root-threshold', '2', '--manager', p('alice'), '--manager', p('carol'), '--manager', p('dave'), '--managers-expire', '2030-12-31', '--approvals', '2', '--json'])).stdout);
      assert.equal(rotated.version, 2);
      await cli(['tuf', 'sign-root', '--product', SKU, '--key', people.get('olga')!.keyFile]);
      const officersDone = await cli(['tuf', 'sign-root', '--product', SKU, '--key', people.get('oscar')!.keyFile]);
      assert.match(officersDone.stdout, /^signed; root 2 has 2 of 2 officer signatures, 2 of 2 of the previous root's; the targets re-signed by 0 of 2 of its release managers\n$/);
      assert.match(officersDone.stderr, /next: 2 of its release managers run `trustplane tuf sign-targets --product /);
      assert.equal((await fetch(`${server.url}/tuf/${SKU}/metadata/2.root.json`)).status, 404, 'not published before the targets verify under it');
      const draft = (await server.api('GET', `/v1/products/${SKU}/tuf/targets/resign`, undefined, env.TRUSTPLANE_TOKEN)).body;
      assert.deepEqual([draft.reason, draft.rootVersion, draft.managers.map((m: { owner: string }) => m.owner)], ['rotation', 2, ['alice', 'carol', 'dave']]);
      await expectRefusal(server, () => server.api('POST', `/v1/products/${SKU}/tuf/targets/resign/signatures`, signTufMetadata(draft.targets.signed, people.get('bob')!.key), env.TRUSTPLANE_TOKEN), 403, 'TUF_KEY_NOT_AUTHORISED', 'bob, whom root 2 removes');
      const one = await cli(['tuf', 'sign-targets', '--product', SKU, '--key', people.get('carol')!.keyFile]);
      assert.match(one.stderr, /root 2 changes who approves/);
      assert.match(one.stdout, /has 1 of 2 release-manager signatures \(root 2 goes out with them/);
      const two = await cli(['tuf', 'sign-targets', '--product', SKU, '--key', people.get('dave')!.keyFile]);
      assert.match(two.stdout, /^targets version \d+ is published, with root 2\n$/);
      assert.equal((await fetch(`${server.url}/tuf/${SKU}/metadata/2.root.json`)).status, 200);
      const updater = await device();
      await updater.refresh();
      assert.ok(await updater.getTargetInfo('firmware/2.5.1/fw-2.5.1.bin'), 'tuf-js follows root 2 and trusts the re-signed targets');
      const events = await server.tp.database.db.selectFrom('events').select('action').where('subject_id', '=', SKU).where('action', 'in', ['tuf.root-published', 'tuf.targets-resigned']).orderBy('seq').execute();
      assert.deepEqual(events.map((e) => e.action).slice(-3), ['tuf.targets-resigned', 'tuf.root-published', 'tuf.targets-resigned'], 'the renewal, then the root with its targets, in one unit of work');
    });
  });
}
