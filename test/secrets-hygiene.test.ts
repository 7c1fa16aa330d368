// Issue item 8: after a full run, no private key (PEM or DER) appears in a database dump or in the
// logs — nor does any bearer token secret. The wrapped CA keys are unwrapped here by an independent
// AES-256-GCM implementation of the documented format, to know exactly which bytes to look for.
import assert from 'node:assert/strict';
import { createDecipheriv, createPrivateKey, type KeyObject } from 'node:crypto';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { makeCsr } from '../src/testkit/csr.ts';
import { databaseTargets } from './support/databases.ts';
import { splitPem, Workdir, type OpensslKeyAlgorithm } from './support/openssl.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { estBody, estRequest } from './support/est-client.ts';

/** Every encoding a leaked key could take in a dump or a log line. */
function fingerprints(key: KeyObject): string[] {
  const der = key.export({ format: 'der', type: 'pkcs8' });
  const out = [der.toString('hex'), der.toString('base64'), der.toString('base64url')];
  // the raw secret (JWK "d"; ML-DSA has no JWK form here: its PKCS#8 carries the seed)
  try {
    const jwk = key.export({ format: 'jwk' });
    for (const part of [jwk.d, jwk.p, jwk.q]) if (typeof part === 'string') out.push(part, Buffer.from(part, 'base64url').toString('hex'));
  } catch {
    /* not exportable as JWK */
  }
  // (no window of the DER itself: an EC PKCS#8 ends with the public key, which is public)
  return out;
}

function unwrap(kek: Uint8Array, row: { id: string; algorithm: string; wrapped: Uint8Array }): KeyObject {
  const w = Buffer.from(row.wrapped);
  assert.equal(w[0], 1, 'wrap format version 1');
  const d = createDecipheriv('aes-256-gcm', kek, w.subarray(1, 13));
  d.setAAD(Buffer.from(`trustplane-key:v1:${row.id}:${row.algorithm}`));
  d.setAuthTag(w.subarray(13, 29));
  return createPrivateKey({ key: Buffer.concat([d.update(w.subarray(29)), d.final()]), format: 'der', type: 'pkcs8' });
}

function pgDump(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('pg_dump', ['--data-only', '--no-owner', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`pg_dump: ${err}`))));
  });
}

for (const target of databaseTargets()) {
  describe(`secrets never at rest in clear, nor in logs (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;
    const logLines: string[] = [];
    const deviceKeys: KeyObject[] = [];
    const tokenSecrets: string[] = [];

    before(async () => {
      work = await Workdir.create('tp-secrets-');
      server = await startTestServer({ target, est: true, logStream: { write: (s: string) => void logLines.push(s) } });
      server.app.log.level = 'trace';
      server.estApp!.log.level = 'trace';
      tokenSecrets.push(server.adminToken);
    });
    after(async () => {
      await server.destroy();
      await work.remove();
    });

    it('runs a full lifecycle, then finds no key material and no token secret in the dump or the logs', async () => {
      const algs: (OpensslKeyAlgorithm | 'ml-dsa-65')[] = ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-3072', 'ml-dsa-65'];
      for (const alg of algs) {
        const sku = `sec-${alg}`;
        await server.createProduct({ sku, name: alg, craClass: 'default', supportUntil: '2036-06-30', keyAlgorithm: alg });
        for (const serial of ['D1', 'D2']) {
          assert.equal((await server.api('POST', `/v1/products/${sku}/devices`, { serial })).status, 201);
          let csrPem: string;
          if (alg === 'ml-dsa-65') {
            const csr = makeCsr(alg);
            deviceKeys.push(csr.privateKey);
            csrPem = csr.pem;
          } else {
            const made = await work.makeKeyAndCsr(`${sku}-${serial}`, alg, '/CN=x');
            deviceKeys.push(createPrivateKey((await work.read(made.keyFile)).toString()));
            csrPem = made.csrPem;
          }
          const enrolled = await server.api('POST', `/v1/products/${sku}/devices/${serial}/enroll`, { csr: csrPem });
          assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
          assert.equal(splitPem(enrolled.body.chain).length, 2);
        }
        assert.equal((await server.api('POST', `/v1/products/${sku}/devices/D1/suspend`, {})).status, 200);
        assert.equal((await server.api('POST', `/v1/products/${sku}/devices/D1/reinstate`, {})).status, 200);
        assert.equal((await server.api('POST', `/v1/products/${sku}/devices/D1/revoke`, { reason: 'keyCompromise' })).status, 200);
        assert.equal((await server.api('POST', `/v1/products/${sku}/devices/D2/decommission`, {})).status, 200);
        const product = await server.api('GET', `/v1/products/${sku}`);
        assert.equal((await fetch(`${server.url}/pki/${product.body.issuingCaId}/crl`)).status, 200);
      }
      // EST: one-time tokens over HTTP Basic, and a key the server made (serverkeygen), must not be kept or logged
      await server.createProduct({ sku: 'sec-est', name: 'est', craClass: 'default', supportUntil: '2036-06-30', serverKeygen: true });
      const batch = await server.createBatch('sec-est', { serials: ['E1', 'E2', 'E3'] });
      const reminted = await server.api('POST', `/v1/batches/${batch.id}/tokens`, {});
      const batchTokens = new Map<string, string>((reminted.body.tokens as { serial: string; token: string }[]).map((x) => [x.serial, x.token]));
      tokenSecrets.push(...batch.tokens.values(), ...batchTokens.values());
      const e1 = makeCsr('ecdsa-p256', { commonName: 'E1' });
      deviceKeys.push(e1.privateKey);
      const enrolled = await estRequest(`${server.estUrl}/.well-known/est/sec-est/simpleenroll`, 'POST', { ca: server.rootPem, basic: { user: 'E1', password: batchTokens.get('E1')! }, body: estBody(e1.der) });
      assert.equal(enrolled.status, 200);
      const keygen = await estRequest(`${server.estUrl}/.well-known/est/sec-est/serverkeygen`, 'POST', {
        ca: server.rootPem,
        basic: { user: 'E2', password: batchTokens.get('E2')! },
        body: estBody(makeCsr('ecdsa-p256', { commonName: 'E2' }).der),
      });
      assert.equal(keygen.status, 200);
      const pkcs8 = /Content-Type: application\/pkcs8\r\nContent-Transfer-Encoding: base64\r\n\r\n([A-Za-z0-9+/=\n]+)\r\n/.exec(keygen.body as string)?.[1];
      assert.ok(pkcs8, 'the serverkeygen answer carries the key');
      deviceKeys.push(createPrivateKey({ key: Buffer.from(pkcs8, 'base64'), format: 'der', type: 'pkcs8' }));
      assert.equal((await estRequest(`${server.estUrl}/.well-known/est/sec-est/simpleenroll`, 'POST', { ca: server.rootPem, basic: { user: 'E3', password: batchTokens.get('E1')! }, body: estBody(makeCsr('ecdsa-p256', { commonName: 'E3' }).der) })).status, 401);

      // refused and failing calls log too
      const t = await server.api('POST', '/v1/tokens', { role: 'operator', owner: 'ops', ttlSeconds: 3600 });
      tokenSecrets.push(t.body.token);
      assert.equal((await server.api('POST', '/v1/products/nope/devices/x/enroll', { csr: 'garbage' }, t.body.token)).status, 404);
      assert.equal((await server.api('GET', '/v1/products', undefined, 'tp_wrong')).status, 401);

      // The CA keys, unwrapped independently from their rows.
      const db = server.tp.database.db;
      const keyRows = await db.selectFrom('keys').select(['id', 'algorithm', 'wrapped']).execute();
      assert.ok(keyRows.length >= 1 + algs.length * 2, 'root, and per product an issuing CA and an OCSP responder');
      const caKeys = keyRows.map((r) => unwrap(server.kek, { id: r.id, algorithm: r.algorithm, wrapped: new Uint8Array(r.wrapped) }));

      // The dump: every row of every table as text (bytea as hex); on PostgreSQL also the real pg_dump.
      const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public'`.execute(db);
      let dump = '';
      for (const { table_name } of tables.rows) {
        const rows = await sql<{ row: string }>`select row_to_json(t)::text as row from ${sql.table(table_name)} t`.execute(db);
        dump += rows.rows.map((r) => r.row).join('\n') + '\n';
      }
      if (server.location.kind === 'postgres') dump += await pgDump(server.location.url);
      const logs = logLines.join('');
      assert.ok(dump.includes('device.enrolled') && logs.length > 0, 'the dump and the logs are not empty');

      for (const [where, text] of [['database dump', dump.toLowerCase()], ['logs', logs.toLowerCase()]] as const) {
        assert.ok(!text.includes('private key'), `no PEM private key in the ${where}`);
        for (const key of [...caKeys, ...deviceKeys]) {
          for (const f of fingerprints(key)) assert.ok(!text.includes(f.toLowerCase()), `no key material in the ${where}`);
        }
        for (const secret of tokenSecrets) assert.ok(!text.includes(secret.toLowerCase()), `no token secret in the ${where}`);
      }
    });
  });
}
