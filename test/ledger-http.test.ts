// The trust ledger over HTTP: the /v1 JSON API (bearer, ledger:read) and the plain-HTTP c2sp.org/tlog-tiles
// layout under /ledger, checked by a client written here from the specs (RFC 9162, signed-note,
// tlog-checkpoint, tlog-tiles) with Node's crypto only — none of src/ledger is used to verify.
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { databaseTargets } from './support/databases.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

// ---- RFC 9162 §2.1, independently --------------------------------------------------------------
const sha256 = (...parts: Uint8Array[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();
const leafHash = (leaf: Uint8Array): Buffer => sha256(Buffer.of(0), leaf);
const nodeHash = (l: Uint8Array, r: Uint8Array): Buffer => sha256(Buffer.of(1), l, r);

/** MTH(D[n]) from the leaf hashes: split at the largest power of two smaller than n. */
function mth(hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 0) return sha256();
  if (hashes.length === 1) return hashes[0]!;
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return nodeHash(mth(hashes.slice(0, k)), mth(hashes.slice(k)));
}

/** RFC 9162 §2.1.3.2. */
function verifyInclusion(index: number, size: number, leaf: Buffer, proof: readonly Buffer[], root: Buffer): boolean {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else r = nodeHash(r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2. */
function verifyConsistency(m: number, n: number, proof: readonly Buffer[], first: Buffer, second: Buffer): boolean {
  if (m > n) return false;
  if (m === n) return proof.length === 0 && first.equals(second);
  if (m === 0) return proof.length === 0;
  const path = (m & (m - 1)) === 0 ? [first, ...proof] : [...proof];
  if (path.length === 0) return false;
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else sr = nodeHash(sr, c);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(first) && sr.equals(second);
}

// ---- signed-note + tlog-checkpoint, independently ----------------------------------------------
/** Verifies the note against `<name>+<hex id>+<base64(0x01 || key)>`; returns the checkpoint it carries. */
function openCheckpoint(note: string, vkey: string): { origin: string; size: number; root: Buffer } {
  const [name, hexId, keyB64] = [vkey.slice(0, vkey.indexOf('+')), ...vkey.slice(vkey.indexOf('+') + 1).split(/\+(.*)/s, 2)];
  const key = Buffer.from(keyB64!, 'base64');
  assert.equal(key[0], 0x01, 'an Ed25519 verifier key');
  const id = sha256(Buffer.from(`${name}\n`), key).subarray(0, 4);
  assert.equal(id.toString('hex'), hexId, 'the key ID is SHA-256(name \\n 0x01 key)[:4]');
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.subarray(1).toString('base64url') }, format: 'jwk' });
  const split = note.lastIndexOf('\n\n');
  const text = note.slice(0, split + 1);
  const sigLines = note.slice(split + 2, -1).split('\n');
  let good = 0;
  for (const line of sigLines) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    assert.ok(m, `a signature line: ${line}`);
    const blob = Buffer.from(m[2]!, 'base64');
    if (m[1] !== name || !blob.subarray(0, 4).equals(id)) continue;
    assert.ok(verify(null, Buffer.from(text, 'utf8'), publicKey, blob.subarray(4)), 'the signature verifies');
    good++;
  }
  assert.ok(good >= 1, 'the note is signed by the log key');
  const [origin, size, root, ...rest] = text.slice(0, -1).split('\n');
  assert.equal(origin, name, 'signed under the origin as key name');
  assert.ok(rest.every((l) => l.length > 0));
  return { origin: origin, size: Number(size), root: Buffer.from(root!, 'base64') };
}

// ---- tlog-tiles, independently ------------------------------------------------------------------
function tileIndex(n: number): string {
  const groups: string[] = [];
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}
const tileName = (level: number | 'entries', n: number, width: number): string =>
  `tile/${level}/${tileIndex(n)}${width === 256 ? '' : `.p/${width}`}`;

function splitHashes(tile: Buffer): Buffer[] {
  assert.equal(tile.length % 32, 0);
  return Array.from({ length: tile.length / 32 }, (_, i) => tile.subarray(i * 32, (i + 1) * 32));
}

function parseBundle(bundle: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bundle.length; ) {
    const len = bundle.readUInt16BE(at);
    out.push(bundle.subarray(at + 2, at + 2 + len));
    at += 2 + len;
  }
  return out;
}

const b64 = (s: string): Buffer => Buffer.from(s, 'base64');

for (const target of databaseTargets()) {
  describe(`ledger over HTTP (${target.name})`, () => {
    let server: TestServer;
    let older: { treeSize: number; rootHash: string; checkpoint: string; verifierKey: string };
    let auditor: string;
    let factory: string;

    const get = async (path: string): Promise<{ status: number; type: string; cache: string | null; body: Buffer }> => {
      const res = await fetch(server.url + path);
      return { status: res.status, type: res.headers.get('content-type') ?? '', cache: res.headers.get('cache-control'), body: Buffer.from(await res.arrayBuffer()) };
    };

    before(async () => {
      server = await startTestServer({ target });
      await server.createProduct({ sku: 'lh-1', name: 'Ledger HTTP', craClass: 'default', supportUntil: '2036-01-01' });
      assert.equal((await server.api('POST', '/v1/products/lh-1/devices', { serial: 'A1' })).status, 201);
      assert.equal((await server.api('POST', '/v1/products/lh-1/devices', { serial: 'A2', hardwareId: 'hw"<\\>' })).status, 201);
      await server.tp.ledger.integrate();
      const cp = await server.api('GET', '/v1/ledger/checkpoint');
      assert.equal(cp.status, 200, JSON.stringify(cp.body));
      older = cp.body;
      for (const batch of [0, 1]) {
        const devices = Array.from({ length: 300 }, (_, i) => ({ serial: `B${batch}-${i}` }));
        assert.equal((await server.api('POST', '/v1/products/lh-1/devices/import', { devices })).status, 201);
      }
      assert.equal((await server.api('POST', '/v1/products/lh-1/devices/A1/decommission', {})).status, 200);
      await server.tp.ledger.integrate();
      auditor = (await server.tp.tokens.create({ role: 'auditor', owner: 'lh-auditor', ttlSeconds: 3600 }, 'test')).secret;
      factory = (await server.tp.tokens.create({ role: 'factory', owner: 'lh-factory', ttlSeconds: 3600, products: ['lh-1'] }, 'test')).secret;
    });
    after(() => server.destroy());

    it('an independent tlog-tiles client recomputes the signed root from the entry bundles and tiles', async () => {
      const { body: vkeyBody } = await server.api('GET', '/v1/ledger/checkpoint', undefined, auditor);
      const vkey: string = vkeyBody.verifierKey;

      const cpRes = await get('/ledger/checkpoint');
      assert.equal(cpRes.status, 200);
      assert.match(cpRes.type, /^text\/plain/);
      const cp = openCheckpoint(cpRes.body.toString('utf8'), vkey);
      assert.ok(cp.size > 600, `the tree has ${cp.size} entries`);
      assert.equal(vkeyBody.treeSize, cp.size);
      assert.equal(vkeyBody.checkpoint, cpRes.body.toString('utf8'));
      assert.ok(b64(vkeyBody.rootHash).equals(cp.root));

      const leaves: Buffer[] = [];
      const level0: Buffer[][] = [];
      for (let n = 0; n * 256 < cp.size; n++) {
        const width = Math.min(256, cp.size - n * 256);
        const tile = await get(`/ledger/${tileName(0, n, width)}`);
        assert.equal(tile.status, 200, tileName(0, n, width));
        assert.equal(tile.type, 'application/octet-stream');
        assert.equal(tile.cache, width === 256 ? 'public, max-age=31536000, immutable' : 'public, max-age=60');
        const hashes = splitHashes(tile.body);
        assert.equal(hashes.length, width);
        const bundle = await get(`/ledger/${tileName('entries', n, width)}`);
        assert.equal(bundle.status, 200);
        assert.equal(bundle.type, 'application/octet-stream');
        const entries = parseBundle(bundle.body);
        assert.equal(entries.length, width);
        entries.forEach((e, i) => {
          assert.ok(leafHash(e).equals(hashes[i]!), `entry ${n * 256 + i} hashes to its tile hash`);
          const event = JSON.parse(e.toString('utf8'));
          assert.equal(event.seq, n * 256 + i, 'leaf index = event seq');
        });
        leaves.push(...entries);
        level0.push(hashes);
      }
      assert.ok(mth(leaves.map(leafHash)).equals(cp.root), 'the root recomputed from the entries is the signed one');

      // Level-1 tile: hash k is MTH of the 256 leaves of level-0 tile k (tlog-tiles §Merkle Tree).
      const full = Math.floor(cp.size / 256);
      const tile1 = await get(`/ledger/${tileName(1, 0, full)}`);
      assert.equal(tile1.status, 200);
      const l1 = splitHashes(tile1.body);
      assert.equal(l1.length, full);
      l1.forEach((h, k) => assert.ok(h.equals(mth(level0[k]!)), `level-1 hash ${k}`));
      // The root again, from the level-1 hashes and the rest of the leaves.
      const rest = level0.slice(full).flat();
      const fromTiles = rest.length === 0 ? mth(l1) : nodeHash(mth(l1), mth(rest));
      if ((full & (full - 1)) === 0) assert.ok(fromTiles.equals(cp.root));

      // The /v1 entries carry the same bytes, as text, with their leaf hashes.
      const page = await server.api('GET', `/v1/ledger/entries?start=250&end=${cp.size}`, undefined, auditor);
      assert.equal(page.status, 200);
      assert.equal(page.body.items.length, cp.size - 250);
      page.body.items.forEach((item: { index: number; leaf: string; leafHash: string }, i: number) => {
        assert.equal(item.index, 250 + i);
        assert.ok(Buffer.from(item.leaf, 'utf8').equals(leaves[250 + i]!));
        assert.ok(b64(item.leafHash).equals(leafHash(leaves[250 + i]!)));
      });
    });

    it('serves tiles only under their one canonical name and only once the tree has them', async () => {
      const { treeSize } = (await server.api('GET', '/v1/ledger/checkpoint')).body;
      const partial = treeSize % 256;
      const lastN = Math.floor(treeSize / 256);
      assert.ok(partial > 1);
      const ok = [`tile/0/${tileIndex(lastN)}.p/${partial}`, `tile/0/${tileIndex(lastN)}.p/1`, 'tile/0/000.p/255', 'tile/entries/000.p/3'];
      for (const p of ok) assert.equal((await get(`/ledger/${p}`)).status, 200, p);
      const missing = [
        `tile/0/${tileIndex(lastN)}`, // not full yet
        `tile/0/${tileIndex(lastN)}.p/${partial + 1}`,
        `tile/entries/${tileIndex(lastN)}`,
        `tile/0/${tileIndex(lastN + 1)}.p/1`,
        'tile/1/000', // 65536 entries
        'tile/2/000.p/1',
        'tile/8/000.p/1',
        'tile/0/000.p/256', // a full tile has no .p/
        'tile/0/000.p/0',
        'tile/0/000.p/01',
        'tile/0/00',
        'tile/0/0000',
        'tile/0/x000/000',
        'tile/0/001/',
        'tile/00/000',
        'tile/-1/000',
        'tile/0/%30%30%30',
        'tile/entries/x000/000',
        'tile/0/x999/x999/x999/x999/x999/x999/999',
        'tile/data/000',
        'tile/',
        'checkpoint/',
      ];
      for (const p of missing) {
        const res = await get(`/ledger/${p}`);
        assert.equal(res.status, 404, p);
        assert.match(res.type, /^application\/problem\+json/, p);
        assert.equal(JSON.parse(res.body.toString()).code, 'NOT_FOUND', p);
      }
    });

    it('/v1 inclusion and consistency proofs verify against the signed roots', async () => {
      const cpRes = await server.api('GET', '/v1/ledger/checkpoint', undefined, auditor);
      const newer = openCheckpoint(cpRes.body.checkpoint, cpRes.body.verifierKey);
      const old = openCheckpoint(older.checkpoint, cpRes.body.verifierKey);
      assert.equal(older.verifierKey, cpRes.body.verifierKey);
      assert.ok(old.size >= 2 && old.size < newer.size);
      const all = (await server.api('GET', `/v1/ledger/entries?start=0&end=${newer.size}`)).body.items.map(
        (i: { leaf: string }) => leafHash(Buffer.from(i.leaf, 'utf8')),
      );
      for (const [cp, indexes] of [
        [newer, [0, 1, 2, 255, 256, 257, 300, 511, 512, newer.size - 2, newer.size - 1]],
        [old, [0, old.size - 1]],
      ] as const) {
        for (const index of indexes) {
          const res = await server.api('GET', `/v1/ledger/proof/inclusion?index=${index}&size=${cp.size}`, undefined, auditor);
          assert.equal(res.status, 200);
          assert.deepEqual([res.body.index, res.body.treeSize], [index, cp.size]);
          const proof = res.body.hashes.map(b64);
          assert.ok(verifyInclusion(index, cp.size, all[index], proof, cp.root), `inclusion of ${index} in ${cp.size}`);
          assert.ok(!verifyInclusion(index, cp.size, all[(index + 1) % cp.size], proof, cp.root), 'another leaf does not verify');
          if (proof.length > 0) {
            proof[0]![0] ^= 1;
            assert.ok(!verifyInclusion(index, cp.size, all[index], proof, cp.root), 'a tampered proof does not verify');
          }
        }
      }
      const cons = await server.api('GET', `/v1/ledger/proof/consistency?from=${old.size}&to=${newer.size}`, undefined, auditor);
      assert.equal(cons.status, 200);
      assert.deepEqual([cons.body.from, cons.body.to], [old.size, newer.size]);
      const proof = cons.body.hashes.map(b64);
      assert.ok(verifyConsistency(old.size, newer.size, proof, old.root, newer.root), 'the older checkpoint is a prefix of the newer');
      assert.ok(!verifyConsistency(old.size, newer.size, proof, mth(all.slice(0, old.size - 1)), newer.root), 'another old root does not');
      // Consistency between intermediate sizes, against roots recomputed here.
      for (const [m, n] of [[1, 2], [3, 7], [256, 300], [256, 512], [100, newer.size], [old.size, old.size]] as const) {
        const res = await server.api('GET', `/v1/ledger/proof/consistency?from=${m}&to=${n}`);
        assert.equal(res.status, 200);
        assert.ok(verifyConsistency(m, n, res.body.hashes.map(b64), mth(all.slice(0, m)), mth(all.slice(0, n))), `${m} → ${n}`);
      }
    });

    it('refuses bad ranges and query numbers with a 4xx problem, never a 5xx', async () => {
      const { treeSize } = (await server.api('GET', '/v1/ledger/checkpoint')).body;
      const bad: [string, string][] = [
        [`/v1/ledger/proof/inclusion?index=${treeSize}&size=${treeSize}`, 'LEDGER_RANGE_INVALID'],
        [`/v1/ledger/proof/inclusion?index=5&size=3`, 'LEDGER_RANGE_INVALID'],
        [`/v1/ledger/proof/inclusion?index=0&size=${treeSize + 1}`, 'LEDGER_RANGE_INVALID'],
        [`/v1/ledger/proof/inclusion?index=0&size=0`, 'LEDGER_RANGE_INVALID'],
        ['/v1/ledger/proof/inclusion?index=0&size=9999999999999999', 'LEDGER_RANGE_INVALID'],
        ['/v1/ledger/proof/inclusion?index=0&size=99999999999999999999999', 'VALIDATION_FAILED'],
        ['/v1/ledger/proof/inclusion?index=abc&size=5', 'VALIDATION_FAILED'],
        ['/v1/ledger/proof/inclusion?index=-1&size=5', 'VALIDATION_FAILED'],
        ['/v1/ledger/proof/inclusion?index=&size=5', 'VALIDATION_FAILED'],
        ['/v1/ledger/proof/inclusion?index=1.5&size=5', 'VALIDATION_FAILED'],
        ['/v1/ledger/proof/inclusion?index=1e0&size=5', 'VALIDATION_FAILED'],
        ['/v1/ledger/proof/inclusion?index=01&size=5', 'VALIDATION_FAILED'],
        ['/v1/ledger/proof/inclusion?index=%201&size=5', 'VALIDATION_FAILED'],
        ['/v1/ledger/proof/inclusion?index=1&index=2&size=5', 'VALIDATION_FAILED'],
        ['/v1/ledger/proof/inclusion?size=5', 'VALIDATION_FAILED'],
        ['/v1/ledger/proof/inclusion?index=1&size=5&extra=1', 'VALIDATION_FAILED'],
        [`/v1/ledger/proof/consistency?from=${treeSize}&to=${treeSize - 1}`, 'LEDGER_RANGE_INVALID'],
        [`/v1/ledger/proof/consistency?from=1&to=${treeSize + 1}`, 'LEDGER_RANGE_INVALID'],
        ['/v1/ledger/proof/consistency?from=-3&to=5', 'VALIDATION_FAILED'],
        ['/v1/ledger/proof/consistency?from=x&to=5', 'VALIDATION_FAILED'],
        ['/v1/ledger/proof/consistency?from=1&to=18446744073709551616', 'VALIDATION_FAILED'],
        ['/v1/ledger/entries?start=5&end=4', 'LEDGER_RANGE_INVALID'],
        [`/v1/ledger/entries?start=0&end=${treeSize + 1}`, 'LEDGER_RANGE_INVALID'],
        ['/v1/ledger/entries?start=0&end=1001', 'LEDGER_RANGE_INVALID'],
        ['/v1/ledger/entries?start=0&end=9007199254740993', 'LEDGER_RANGE_INVALID'],
        ['/v1/ledger/entries?start=-1&end=1', 'VALIDATION_FAILED'],
        ['/v1/ledger/entries?start=0', 'VALIDATION_FAILED'],
      ];
      for (const [path, code] of bad) {
        const res = await server.api('GET', path);
        assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
        assert.match(res.type, /^application\/problem\+json/, path);
        assert.equal(res.body.code, code, path);
      }
      assert.deepEqual((await server.api('GET', '/v1/ledger/entries?start=3&end=3')).body, { items: [] });
    });

    it('needs a ledger:read token on /v1/ledger, none on /ledger', async () => {
      const paths = ['/v1/ledger/checkpoint', '/v1/ledger/proof/inclusion?index=0&size=1', '/v1/ledger/proof/consistency?from=1&to=2', '/v1/ledger/entries?start=0&end=1'];
      for (const path of paths) {
        const anon = await server.api('GET', path, undefined, null);
        assert.equal(anon.status, 401, path);
        assert.match(anon.type, /^application\/problem\+json/);
        assert.equal(anon.body.code, 'TOKEN_MISSING');
        assert.equal((await server.api('GET', path, undefined, 'not-a-token')).status, 401, path);
        assert.equal((await server.api('GET', path, undefined, factory)).status, 403, path);
        assert.equal((await server.api('GET', path, undefined, auditor)).status, 200, path);
      }
      const plain = await get('/ledger/checkpoint');
      assert.equal(plain.status, 200);
      assert.equal(plain.cache, 'no-cache');
      assert.equal((await get('/ledger/tile/0/000')).status, 200);
    });
  });
}
