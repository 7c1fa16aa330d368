/**
 * Issue 15 through the CLI, against a real server: `release create --boot-measurements FILE`
 * sends the reference values as the API takes them; `--measure-image-into-pcr N` makes the
 * image's digest the one measurement of PCR N, and the PCR value the release then carries is the
 * one a real TPM (swtpm, tpm2_pcrextend and tpm2_pcrread) holds after that extend. A bad file or
 * combination is refused by the CLI with exit code 1 before anything is sent (the CLI is pointed
 * at a port where nothing listens: had it sent, it would exit 3). `attestation policy` shows and
 * sets the product policy, a change once in the ledger.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Tpm2Tools } from '../src/agent/attest/index.ts';
import { freeLoopbackPort } from '../src/testkit/free-port.ts';
import { databaseTargets } from './support/databases.ts';
import { firmwareSbom } from './support/sbom.ts';
import { runCli } from './support/serve-process.ts';
import { assertNothingWritten } from './support/state-snapshot.ts';
import { startSwtpm } from './support/swtpm.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'GW-CA';
const hex = (alg: string, ...parts: (Uint8Array | string)[]) => {
  const h = createHash(alg);
  for (const p of parts) h.update(typeof p === 'string' ? Buffer.from(p, 'hex') : p);
  return h.digest('hex');
};
/** TPM2_PCR_Extend from zeros (TPM 2.0 Part 1 §17.2), written out here rather than taken from our code. */
const extended = (alg: string, measurements: string[]) => measurements.reduce((pcr, m) => hex(alg, pcr, m), '00'.repeat(createHash(alg).digest().length));

for (const target of databaseTargets()) {
  describe(`attestation through the CLI (${target.name})`, () => {
    let server: TestServer;
    let dir: string;
    let sbomFile: string;
    const env = () => ({ TRUSTPLANE_URL: server.url, TRUSTPLANE_TOKEN: server.adminToken, TRUSTPLANE_HOME: '' });
    const cli = (args: string[]) => runCli(args, { env: env() });
    const image = async (name: string) => {
      const file = join(dir, name);
      const bytes = randomBytes(4096 + Math.floor(Math.random() * 1000));
      await writeFile(file, bytes);
      return { file, bytes };
    };
    const create = (version: string, imageFile: string, ...more: string[]) =>
      ['release', 'create', '--product', SKU, '--version', version, '--security-version', '1', '--image', imageFile, '--sbom', sbomFile, '--security', ...more];

    before(async () => {
      server = await startTestServer({ target });
      await server.createProduct({ sku: SKU, name: SKU, craClass: 'default', supportUntil: '2040-12-31' });
      dir = await mkdtemp(join(tmpdir(), 'tp-cli-attestation-'));
      sbomFile = join(dir, 'bom.cdx.json');
      await writeFile(sbomFile, JSON.stringify(firmwareSbom('1.0.0')));
    });
    after(async () => {
      await server?.destroy();
      await rm(dir, { recursive: true, force: true });
    });

    it('release create --boot-measurements FILE: the reference values as the API takes them', async () => {
      const { file } = await image('fw-1.0.0.bin');
      const pcr0 = [hex('sha384', Buffer.from('bootloader')), hex('sha384', Buffer.from('kernel'))];
      const pcr7 = [hex('sha384', Buffer.from('secure boot state'))];
      const measurements = join(dir, 'boot-1.0.0.json');
      await writeFile(measurements, JSON.stringify({ bank: 'sha384', pcrs: { '7': pcr7, '0': pcr0 } }));
      const run = await cli(create('1.0.0', file, '--boot-measurements', measurements, '--json'));
      assert.equal(run.code, 0, run.stderr);
      const r = JSON.parse(run.stdout) as { id: string; referenceValues: { bank: string; pcrs: Record<string, { measurements: string[]; value: string }> } };
      assert.deepEqual(r.referenceValues, {
        bank: 'sha384',
        pcrs: { '0': { measurements: pcr0, value: extended('sha384', pcr0) }, '7': { measurements: pcr7, value: extended('sha384', pcr7) } },
      });
      const shown = await cli(['release', 'show', '--product', SKU, '--release', r.id]);
      assert.match(shown.stdout, new RegExp(`reference PCRs: +sha384: PCR 0 = ${extended('sha384', pcr0)} \\(2 measured\\); PCR 7`));
    });

    it('release create --measure-image-into-pcr 9: the PCR value a real TPM holds after extending the image digest into PCR 9', async (t) => {
      const { file, bytes } = await image('fw-1.1.0.bin');
      const pcr0 = [hex('sha256', Buffer.from('bootloader 1.1.0'))];
      const measurements = join(dir, 'boot-1.1.0.json');
      await writeFile(measurements, JSON.stringify({ bank: 'sha256', pcrs: { '0': pcr0 } }));
      const run = await cli(create('1.1.0', file, '--boot-measurements', measurements, '--measure-image-into-pcr', '9', '--json'));
      assert.equal(run.code, 0, run.stderr);
      const r = JSON.parse(run.stdout) as { referenceValues: { bank: string; pcrs: Record<string, { measurements: string[]; value: string }> } };
      assert.equal(r.referenceValues.bank, 'sha256');
      assert.deepEqual(r.referenceValues.pcrs['9']!.measurements, [hex('sha256', bytes)]);
      assert.deepEqual(r.referenceValues.pcrs['0']!.measurements, pcr0);

      // the device's side: its boot chain hashes the image file's bytes and extends PCR 9 once
      const tpm = await startSwtpm();
      t.after(() => tpm.stop());
      const tools = new Tpm2Tools(tpm.tcti);
      await tools.run('tpm2_pcrextend', [`9:sha256=${hex('sha256', bytes)}`]);
      const read = await tools.run('tpm2_pcrread', ['sha256:9']);
      const value = /9\s*:\s*0x([0-9A-Fa-f]{64})/.exec(read)?.[1]?.toLowerCase();
      assert.equal(r.referenceValues.pcrs['9']!.value, value, 'the release carries the value swtpm reports');

      // sha512 bank, image alone
      const other = await image('fw-1.2.0.bin');
      const run512 = await cli(create('1.2.0', other.file, '--measure-image-into-pcr', '10', '--bank', 'sha512', '--json'));
      assert.equal(run512.code, 0, run512.stderr);
      const measured = hex('sha512', other.bytes);
      assert.deepEqual((JSON.parse(run512.stdout) as typeof r).referenceValues, { bank: 'sha512', pcrs: { '10': { measurements: [measured], value: extended('sha512', [measured]) } } });
    });

    it('a bad file or combination: a clear message, exit 1, nothing sent', async () => {
      const { file } = await image('fw-9.bin');
      const write = async (name: string, text: string) => {
        const p = join(dir, name);
        await writeFile(p, text);
        return p;
      };
      const good = hex('sha256', Buffer.from('x'));
      const cases: [string[], RegExp][] = [
        [['--boot-measurements', await write('not-json.json', '{ bank: sha256')], /--boot-measurements .*not-json\.json: not JSON/],
        [['--boot-measurements', await write('bank.json', JSON.stringify({ bank: 'sha1', pcrs: { '0': [good] } }))], /bank must be one of sha256, sha384, sha512/],
        [['--boot-measurements', await write('short.json', JSON.stringify({ bank: 'sha256', pcrs: { '0': [good.slice(2)] } }))], /PCR 0: each measurement is a sha256 digest in lowercase hex/],
        [['--boot-measurements', await write('pcr24.json', JSON.stringify({ bank: 'sha256', pcrs: { '24': [good] } }))], /PCR index 24 is not 0–23/],
        [['--boot-measurements', await write('empty.json', JSON.stringify({ bank: 'sha256', pcrs: {} }))], /pcrs must map at least one PCR/],
        [['--boot-measurements', await write('extra.json', JSON.stringify({ bank: 'sha256', pcrs: { '0': [good] }, values: {} }))], /must be \{ bank, pcrs \}/],
        [['--boot-measurements', join(dir, 'missing.json')], /cannot read boot measurements .*missing\.json: ENOENT/],
        [['--measure-image-into-pcr', '16'], /a PCR 0–15 \(only a TPM Reset clears them; 16 and 23 software may reset/],
        [['--measure-image-into-pcr', '18'], /a PCR 0–15/],
        [['--measure-image-into-pcr', '23'], /a PCR 0–15/],
        [['--measure-image-into-pcr', '24'], /a PCR 0–15/],
        [['--measure-image-into-pcr', 'nine'], /expected a whole number/],
        [['--bank', 'sha384'], /--bank goes with --measure-image-into-pcr/],
        [['--boot-measurements', await write('has9.json', JSON.stringify({ bank: 'sha256', pcrs: { '9': [good] } })), '--measure-image-into-pcr', '9'], /already lists PCR 9/],
        [['--boot-measurements', await write('bank256.json', JSON.stringify({ bank: 'sha256', pcrs: { '0': [good] } })), '--measure-image-into-pcr', '9', '--bank', 'sha384'], /--bank sha384 differs from the bank/],
        [['--kind', 'config', '--measure-image-into-pcr', '9'], /only a firmware release has boot measurements/],
      ];
      // nothing listens here: a CLI that sent anything would exit 3 (unreachable)
      const nowhere = `http://127.0.0.1:${await freeLoopbackPort()}`;
      for (const [args, message] of cases) {
        const run = await runCli(create('9.9.9', file, ...args), { env: { ...env(), TRUSTPLANE_URL: nowhere } });
        assert.equal(run.code, 1, `${args.join(' ')}: ${run.stderr}`);
        assert.match(run.stderr, message, args.join(' '));
      }
      // and against the real server: nothing written
      await assertNothingWritten(server, async () => {
        const run = await cli(create('9.9.9', file, '--measure-image-into-pcr', '20'));
        assert.equal(run.code, 1);
      });
    });

    it('attestation policy: shown, set (a ledger event once), the same again writes nothing', async () => {
      const shown = await cli(['attestation', 'policy', '--product', SKU]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /suspend on failure: +no: failures are recorded only/);
      assert.match(shown.stdout, /set: +never \(the default\)/);

      const set = await cli(['attestation', 'policy', 'set', '--product', SKU, '--suspend-on-failure', 'true', '--json']);
      assert.equal(set.code, 0, set.stderr);
      const p = JSON.parse(set.stdout) as { product: string; suspendOnFailure: boolean; setBy: string };
      assert.deepEqual({ product: p.product, suspendOnFailure: p.suspendOnFailure }, { product: SKU, suspendOnFailure: true });
      const again = await assertNothingWritten(server, () => cli(['attestation', 'policy', 'set', '--product', SKU, '--suspend-on-failure', 'true']), 'the same policy again');
      assert.equal(again.code, 0, again.stderr);
      const json = JSON.parse((await cli(['attestation', 'policy', 'show', '--product', SKU, '--json'])).stdout) as { suspendOnFailure: boolean; setBy: string };
      assert.equal(json.suspendOnFailure, true);
      assert.equal(json.setBy, p.setBy);
      const events = await server.tp.database.db.selectFrom('events').select('action').where('action', '=', 'attestation.policy_set').execute();
      assert.equal(events.length, 1);

      // required PCRs alone: the suspension kept
      const pcrs = await cli(['attestation', 'policy', 'set', '--product', SKU, '--required-pcrs', '0,7']);
      assert.equal(pcrs.code, 0, pcrs.stderr);
      assert.match(pcrs.stdout, /suspend on failure: +yes/);
      assert.match(pcrs.stdout, /required PCRs: +0, 7: a quote's release must reference each/);
      const badPcr = await cli(['attestation', 'policy', 'set', '--product', SKU, '--required-pcrs', '0,24']);
      assert.equal(badPcr.code, 1);
      assert.match(badPcr.stderr, /PCR indices 0–23/);
      assert.equal((await cli(['attestation', 'policy', 'set', '--product', SKU])).code, 1, 'nothing to set');
      assert.deepEqual((JSON.parse((await cli(['attestation', 'policy', 'set', '--product', SKU, '--required-pcrs', 'none', '--json'])).stdout) as { requiredPcrs: number[] }).requiredPcrs, []);

      const bad = await cli(['attestation', 'policy', 'set', '--product', SKU, '--suspend-on-failure', 'yes']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /--suspend-on-failure.*Allowed choices are true, false/);
      const unknown = await cli(['attestation', 'policy', '--product', 'NOPE']);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /PRODUCT_NOT_FOUND/);
    });
  });
}
