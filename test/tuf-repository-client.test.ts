/**
 * Interop, signed updates: a TUF repository made only by src/updates/tuf's pure functions, written
 * to a temporary directory and served by a bare static HTTP server on 127.0.0.1, read by the real
 * tuf-js Updater (trusted root = 1.root.json). Each case builds its own repository under its own
 * path and its own client, so the cases stand alone. tuf-js reads the wall clock, so the
 * reference time we pass our builders is the wall clock too.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UnsignedMetadataError, LengthOrHashMismatchError } from '@tufjs/models/dist/error.js';
import { Updater } from 'tuf-js';
import { DownloadLengthMismatchError, ExpiredMetadataError, RuntimeError } from 'tuf-js/dist/error.js';
import {
  addRootSignature,
  addTargetsSignature,
  buildRoot,
  buildSnapshot,
  buildTimestamp,
  initialTargets,
  metadataBytes,
  metadataPath,
  nextTargetsWithRelease,
  requireRootPublishable,
  requireTargetsApproved,
  signTufMetadata,
  targetFileInfo,
  targetPath,
  timestampPath,
  type RootMetadata,
  type TargetsMetadata,
} from '../src/updates/tuf/index.ts';
import { testKey, type TestKey } from '../src/updates/tuf/testing/tuf-test-keys.ts';

const now = new Date();
const inDays = (days: number) => new Date(now.getTime() + days * 86_400_000);

const officers = [testKey(), testKey('ecdsa-p256')];
const newOfficers = [testKey('ecdsa-p256'), testKey()];
const managers = [testKey(), testKey('ecdsa-p256'), testKey()];
const snapshotKey = testKey('ecdsa-p256');
const timestampKey = testKey();
const newTimestampKey = testKey('ecdsa-p256');

const targetName = 'fw/gateway-1.2.0.bin';
const image = new TextEncoder().encode('gateway firmware 1.2.0 — the bytes a device installs');
const release = { releaseId: 'rel_0001', version: '1.2.0', securityVersion: 7, kind: 'firmware' as const, hardware: ['gw-rev-b'] };

interface RootPlanKeys {
  version: number;
  officers: TestKey[];
  managers: TestKey[];
  timestamp: TestKey;
}

function root(plan: RootPlanKeys): RootMetadata {
  return buildRoot({
    version: plan.version,
    expires: inDays(365),
    now,
    root: { keys: plan.officers.map((k) => k.spki), threshold: 2 },
    targets: { keys: plan.managers.map((k) => k.spki), threshold: 2 },
    snapshot: { keys: [snapshotKey.spki] },
    timestamp: { keys: [plan.timestamp.spki] },
  });
}

/** Each officer signs on their own machine; the server checks and adds the signature. */
function signRoot(md: RootMetadata, by: TestKey[], previous?: RootMetadata): RootMetadata {
  return by.reduce((acc, k) => addRootSignature(acc, signTufMetadata(acc.signed, k.privateKey), previous), md);
}

const root1 = requireRootPublishable(signRoot(root({ version: 1, officers, managers, timestamp: timestampKey }), officers));

/** The release draft (targets v2) signed by `by`, each signature checked against `underRoot`'s targets keys. */
function releaseTargets(by: TestKey[], underRoot: RootMetadata): TargetsMetadata {
  const draft = nextTargetsWithRelease(initialTargets({ expires: inDays(90), now }), targetName, targetFileInfo(image, release), { expires: inDays(90), now });
  return by.reduce((acc, k) => addTargetsSignature(acc, signTufMetadata(draft.signed, k.privateKey), underRoot), draft);
}

interface Publication {
  roots: RootMetadata[];
  targets: TargetsMetadata;
  timestampSigner?: TestKey;
  /** A timestamp made at this reference time with this expiry (a freeze attack replays such a file). */
  timestampValidity?: { now: Date; expires: Date };
  /** What the mirror serves at the target's URL, if not the image. */
  servedImage?: Uint8Array;
}

let base: string;
let server: Server;
let origin: string;

/** Writes a consistent-snapshot repository (TUF 6.2) under base/<name>/ and returns its URL. */
async function publish(name: string, p: Publication): Promise<string> {
  const dir = join(base, name);
  const write = async (path: string, bytes: Uint8Array) => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), bytes);
  };
  const current = p.roots.at(-1)!;
  for (const r of p.roots) await write(metadataPath('root', r.signed.version), metadataBytes(r));
  const targetsBytes = metadataBytes(p.targets);
  await write(metadataPath('targets', p.targets.signed.version), targetsBytes);
  const snapshot = await buildSnapshot({ root: current, version: 1, expires: inDays(7), now, targetsBytes }, snapshotKey.signer);
  await write(metadataPath('snapshot', 1), snapshot.bytes);
  const validity = p.timestampValidity ?? { now, expires: inDays(1) };
  const timestamp = await buildTimestamp({ root: current, version: 1, ...validity, snapshotBytes: snapshot.bytes }, (p.timestampSigner ?? timestampKey).signer);
  await write(timestampPath, timestamp.bytes);
  const info = p.targets.signed.targets[targetName]!;
  await write(targetPath(targetName, info.hashes.sha256), p.servedImage ?? image);
  return `${origin}/${name}`;
}

/** A device's client: its own metadata directory holding the trusted root (1.root.json), and a download directory. */
async function deviceClient(repoUrl: string): Promise<{ updater: Updater; metadataDir: string }> {
  const home = await mkdtemp(join(base, 'device-'));
  const metadataDir = join(home, 'metadata');
  const targetDir = join(home, 'targets');
  await mkdir(metadataDir);
  await mkdir(targetDir);
  await writeFile(join(metadataDir, 'root.json'), metadataBytes(root1));
  const updater = new Updater({
    metadataDir,
    targetDir,
    metadataBaseUrl: `${repoUrl}/metadata`,
    targetBaseUrl: `${repoUrl}/targets`,
    config: { fetchRetry: false },
  });
  return { updater, metadataDir };
}

async function fetchRelease(updater: Updater): Promise<Uint8Array> {
  await updater.refresh();
  const info = await updater.getTargetInfo(targetName);
  assert.ok(info, 'the client finds the target');
  return new Uint8Array(await readFile(await updater.downloadTarget(info)));
}

/** The rejection is of this tuf-js class and says this: not merely "it throws". */
async function rejectsWith(p: Promise<unknown>, errorClass: new (...args: any[]) => Error, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof errorClass, `expected ${errorClass.name}, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

describe('TUF repository from src/updates/tuf, read by the tuf-js client', () => {
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'trustplane-tuf-'));
    server = createServer((req, res) => {
      const path = normalize(join(base, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
      if (!path.startsWith(base + '/')) return void res.writeHead(403).end();
      readFile(path).then(
        (bytes) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bytes),
        () => res.writeHead(404).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(base, { recursive: true, force: true });
  });

  it('refreshes and downloads a release approved by 2 of 3 release managers', async () => {
    const targets = requireTargetsApproved(releaseTargets([managers[0]!, managers[1]!], root1), root1);
    const { updater } = await deviceClient(await publish('good', { roots: [root1], targets }));
    assert.deepEqual(await fetchRelease(updater), image);
    const info = await updater.getTargetInfo(targetName);
    assert.deepEqual(info?.custom, release);
  });

  it('refuses targets signed by 1 of the required 2 (TUF 5.6.3)', async () => {
    const { updater } = await deviceClient(await publish('one-of-two', { roots: [root1], targets: releaseTargets([managers[2]!], root1) }));
    await rejectsWith(updater.refresh(), RuntimeError, /Unable to load targets error Error: targets was signed by 1\/2 keys/);
  });

  it('refuses a target whose bytes were changed on the mirror (TUF 5.7.3)', async () => {
    const tampered = image.slice();
    tampered[0] = tampered[0]! ^ 0x01;
    const targets = releaseTargets(managers.slice(0, 2), root1);
    const { updater } = await deviceClient(await publish('tampered', { roots: [root1], targets, servedImage: tampered }));
    await rejectsWith(fetchRelease(updater), LengthOrHashMismatchError, /^Expected hash [0-9a-f]{64} but got [0-9a-f]{64}$/);
  });

  it('refuses an expired timestamp: a freeze attack replaying old metadata (TUF 5.4.4)', async () => {
    const then = new Date(now.getTime() - 2 * 86_400_000);
    const targets = releaseTargets(managers.slice(0, 2), root1);
    const url = await publish('frozen', { roots: [root1], targets, timestampValidity: { now: then, expires: new Date(then.getTime() + 3_600_000) } });
    const { updater } = await deviceClient(url);
    await rejectsWith(updater.refresh(), ExpiredMetadataError, /^Final timestamp\.json is expired$/);
  });

  it('refuses a target longer than its signed length (endless data, TUF 5.7.3)', async () => {
    const targets = releaseTargets(managers.slice(0, 2), root1);
    const longer = new Uint8Array(image.byteLength + 4096);
    longer.set(image);
    const { updater } = await deviceClient(await publish('longer', { roots: [root1], targets, servedImage: longer }));
    await rejectsWith(fetchRelease(updater), DownloadLengthMismatchError, /^Max length reached$/);
  });

  it('follows a root rotation 1→2 signed by the old and the new thresholds (TUF 5.3.4), then trusts the new timestamp key', async () => {
    const draft2 = root({ version: 2, officers: newOfficers, managers, timestamp: newTimestampKey });
    const root2 = requireRootPublishable(signRoot(signRoot(draft2, officers, root1), newOfficers, root1), root1);
    const targets = releaseTargets(managers.slice(1, 3), root2);
    const { updater, metadataDir } = await deviceClient(await publish('rotated', { roots: [root1, root2], targets, timestampSigner: newTimestampKey }));
    assert.deepEqual(await fetchRelease(updater), image);
    const trusted = JSON.parse(await readFile(join(metadataDir, 'root.json'), 'utf8'));
    assert.equal(trusted.signed.version, 2);
  });

  it('refuses a rotation signed only by the new keys (TUF 5.3.4 (1))', async () => {
    const draft2 = root({ version: 2, officers: newOfficers, managers, timestamp: newTimestampKey });
    const onlyNew = signRoot(draft2, newOfficers, root1);
    assert.throws(() => requireRootPublishable(onlyNew, root1), { code: 'TUF_THRESHOLD_NOT_MET' }); // our gate refuses it first
    const targets = releaseTargets(managers.slice(0, 2), onlyNew);
    const { updater } = await deviceClient(await publish('rotation-new-keys-only', { roots: [root1, onlyNew], targets, timestampSigner: newTimestampKey }));
    await rejectsWith(updater.refresh(), UnsignedMetadataError, /^root was signed by 0\/2 keys$/);
  });

  it('after a rotation that removes a release manager, refuses targets that need their signature', async () => {
    const [removed, kept1, kept2] = managers as [TestKey, TestKey, TestKey];
    const draft2 = root({ version: 2, officers, managers: [kept1, kept2], timestamp: timestampKey });
    const root2 = requireRootPublishable(signRoot(draft2, officers, root1), root1);
    // Our gate: the removed manager's signature is refused by the root in force.
    const draft = releaseTargets([], root2);
    assert.throws(() => addTargetsSignature(draft, signTufMetadata(draft.signed, removed.privateKey), root2), { code: 'TUF_KEY_NOT_AUTHORISED' });
    // The client: targets carrying the removed manager's and one kept manager's signatures (as approved under root 1).
    const { updater } = await deviceClient(await publish('manager-removed', { roots: [root1, root2], targets: releaseTargets([removed, kept1], root1) }));
    await rejectsWith(updater.refresh(), RuntimeError, /Unable to load targets error Error: targets was signed by 1\/2 keys/);
    // The managers who remain approve releases as before.
    const kept = await deviceClient(await publish('managers-kept', { roots: [root1, root2], targets: releaseTargets([kept1, kept2], root2) }));
    assert.deepEqual(await fetchRelease(kept.updater), image);
  });
});
