/**
 * The fleet simulator against the real server: a batch through the REST API, each device
 * enrolled over EST with its token and renewed once; the core as bench/ calls it, and the CLI.
 * Also `trustplane-agent run` as a daemon: it plans its renewal and stops cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { simulateFleet } from '../src/agent/fleet-simulator.ts';
import { agentBin, runAgent } from '../src/agent/testing/agent-process.ts';
import { databaseTargets } from './support/databases.ts';
import { Workdir } from './support/openssl.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const SKU = 'AG-SIM-1';

for (const target of databaseTargets()) {
  describe(`agent fleet simulator and daemon (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;

    before(async () => {
      server = await startTestServer({ target, est: true });
      work = await Workdir.create('tp-agent-sim-');
      await work.write('root.pem', server.rootPem);
      await server.createProduct({ sku: SKU, name: 'Simulated sensor', craClass: 'default', supportUntil: '2040-12-31' });
    });
    after(async () => {
      await server?.destroy();
      await work?.remove();
    });

    test('simulateFleet: 24 devices, 6 at a time, enrolled and renewed', async () => {
      const progress: number[] = [];
      const summary = await simulateFleet({
        estServer: server.estUrl!,
        apiUrl: server.url,
        adminToken: server.adminToken,
        caBundlePem: server.rootPem,
        product: SKU,
        devices: 24,
        concurrency: 6,
        renew: true,
        clock: server.clock,
        onProgress: (done, total) => {
          assert.equal(total, 48);
          progress.push(done);
        },
      });
      assert.deepEqual(summary.failuresByCode, {});
      assert.equal(summary.succeeded, 24);
      assert.equal(summary.operations.enroll.succeeded, 24);
      assert.equal(summary.operations.reenroll?.succeeded, 24);
      assert.ok(summary.operations.enroll.p99Ms >= summary.operations.enroll.p50Ms);
      assert.equal(summary.batches.length, 1);
      assert.equal(progress.at(-1), 48);
      const batch = await server.api('GET', `/v1/batches/${summary.batches[0]}`);
      assert.equal(batch.body.counts.used, 24);
    });

    test('trustplane-agent simulate --json; a refused batch exits 2 with the server code', async () => {
      const run = await runAgent([
        'simulate',
        '--server',
        server.estUrl!,
        '--api',
        server.url,
        '--token',
        server.adminToken,
        '--ca-bundle',
        work.path('root.pem'),
        '--product',
        SKU,
        '--devices',
        '5',
        '--concurrency',
        '2',
        '--json',
      ]);
      assert.equal(run.code, 0, run.stderr);
      const summary = JSON.parse(run.stdout);
      assert.equal(summary.succeeded, 5);
      assert.equal(summary.operations.reenroll, undefined);
      const refused = await runAgent([
        'simulate',
        '--server',
        server.estUrl!,
        '--api',
        server.url,
        '--token',
        'tpa_nonsense',
        '--ca-bundle',
        work.path('root.pem'),
        '--product',
        SKU,
        '--devices',
        '2',
      ]);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /error: TOKEN_INVALID/);
    });

    test('trustplane-agent run: plans from renewal-info, stops cleanly on SIGTERM', async () => {
      const batch = await server.api('POST', `/v1/products/${SKU}/batches`, {
        factory: 'line-1',
        serials: ['DAEMON-1'],
        validUntil: new Date(server.clock.now().getTime() + 3_600_000).toISOString(),
      });
      const stateDir = work.path('daemon');
      const enrolled = await runAgent([
        'enroll',
        '--server',
        server.estUrl!,
        '--ca-bundle',
        work.path('root.pem'),
        '--product',
        SKU,
        '--serial',
        'DAEMON-1',
        '--token',
        batch.body.tokens[0].token,
        '--state-dir',
        stateDir,
      ]);
      assert.equal(enrolled.code, 0, enrolled.stderr);
      const daemon = spawn(process.execPath, [agentBin, 'run', '--state-dir', stateDir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      await new Promise<void>((resolve) => {
        daemon.stderr.on('data', (b: Buffer) => {
          stderr += b.toString();
          if (stderr.includes('next renewal at')) resolve();
        });
      });
      daemon.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => daemon.on('close', resolve));
      assert.equal(code, 0, stderr);
      assert.match(stderr, /renewal window \S+ \.\. \S+/);
      assert.match(stderr, /agent stopped/);
    });
  });
}
