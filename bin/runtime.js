// Plain JavaScript on purpose: this file must run on any Node, including one too old to strip
// TypeScript types (Debian 12's Node 20), so that it can say what is wrong or hand over.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

/** What `engines.node` in package.json says: the first versions that run .ts files without a flag. */
export const supportedRange = '^22.18.0 || >=23.6.0';

/** True when `version` (v22.18.0 or 22.18.0) strips TypeScript types unflagged. */
export function stripsTypes(version) {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);
}

/** node_modules/.bin/node of this checkout: the Node the optional dependency node-linux-<cpu> installs. */
export const pinnedNode = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));

/**
 * Where V8's code cache for our modules is kept (Node's module compile cache): starting the CLI
 * costs ~0.16 s with it against ~0.42 s without, most of it type stripping and compiling ~200
 * modules. It is beside the checkout, not in the shared temporary directory Node would choose:
 * a cache another local user could write would be code we load. NODE_COMPILE_CACHE overrides it;
 * where the checkout is read-only (installed by root, run by a service user) Node skips the cache.
 */
export const compileCacheDir = fileURLToPath(new URL('../node_modules/.cache/trustplane-compile-cache', import.meta.url));

/** One line: what is needed, what there is, what to do (`remedy`). */
export function tooOldLine(version, remedy) {
  return `trustplane needs Node.js ${supportedRange} (it runs TypeScript by type stripping); this is ${version}: ${remedy}`;
}

/**
 * Runs `entry` (a .ts file beside this one) on this Node when it can; otherwise on the pinned Node
 * in a child process, with the same arguments, stdio and exit status; otherwise says why not.
 */
export async function runEntry(entry) {
  if (stripsTypes(process.version)) {
    if (!process.env.NODE_COMPILE_CACHE) module.enableCompileCache?.(compileCacheDir);
    await import(entry);
    return;
  }
  if (!existsSync(pinnedNode)) {
    const remedy = `${pinnedNode} is missing: run npm install (on Linux x64/arm64 it brings Node 24), or install Node 24`;
    process.stderr.write(`${tooOldLine(process.version, remedy)}\n`);
    process.exitCode = 1;
    return;
  }
  const child = spawn(pinnedNode, [fileURLToPath(new URL(entry, import.meta.url)), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE || compileCacheDir },
  });
  // A terminal's Ctrl-C reaches the child by itself (same process group): only keep this one alive.
  // A SIGTERM or SIGHUP sent to this process's id is passed on.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (e) => {
    process.stderr.write(`trustplane: cannot run ${pinnedNode}: ${e.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal !== null) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
}
