// Time-bound SSH access (issue 14): OpenSSH certificates signed per second next to the raw
// Ed25519 sign rate of the same run; KRL build time and size for 100,000 revoked serials in three
// shapes, and `ssh-keygen -Q` on each; the agent's KRL refresh (parse + atomic write) of one.
// Performance is printed, never asserted: see docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syncSshTrust } from '../src/agent/ssh/ssh-trust-files.ts';
import { SshApiStandIn } from '../src/agent/ssh/testing/ssh-api-stand-in.ts';
import { signerFromKey } from '../src/pki/testing/signer-from-key.ts';
import { encodeKrl, formatSshCertificate, formatSshPublicKey, parseKrl, signSshCertificate, sshPublicKeyFromKeyObject, sshPublicKeyFromSpki, type SshCertificateFields } from '../src/ssh/index.ts';
import { seededRandom } from '../src/testkit/seeded-random.ts';
import { opensshPrivateKey } from '../src/ssh/testing/openssh-private-key.ts';
import { measureSignRate } from './limit.ts';

const say = (s: string): void => void process.stderr.write(s + '\n');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function time<T>(run: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await run();
  return { ms: performance.now() - t0, value };
}

/** Certificates signed per second for `seconds`, `inFlight` at a time (Node signs on its thread pool). */
async function certificateRate(fields: SshCertificateFields, signer: ReturnType<typeof signerFromKey>, inFlight: number, seconds: number): Promise<number> {
  let serial = 1n;
  let made = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    await Promise.all(Array.from({ length: inFlight }, () => signSshCertificate({ ...fields, serial: serial++ }, signer)));
    made += inFlight;
  }
  return made / ((performance.now() - started) / 1000);
}

const shapes: { name: string; serials: () => bigint[] }[] = [
  { name: '100,000 of serials 1..1,000,000 (random)', serials: () => sample(1_000_000) },
  { name: '100,000 of serials 1..120,000 (most grants ended)', serials: () => sample(120_000) },
  { name: '100,000 random 63-bit serials (worst case: a list)', serials: wide },
];

function wide(): bigint[] {
  const next = seededRandom(63);
  const set = new Set<bigint>();
  while (set.size < 100_000) set.add((BigInt(Math.floor(next() * 2 ** 31)) << 32n) + BigInt(Math.floor(next() * 2 ** 32)) + 1n);
  return [...set];
}

function sample(span: number): bigint[] {
  const next = seededRandom(14);
  const set = new Set<bigint>();
  while (set.size < 100_000) set.add(BigInt(1 + Math.floor(next() * span)));
  return [...set];
}

export async function runSshBench(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tp-bench-ssh-'));
  try {
    const { privateKey } = generateKeyPairSync('ed25519');
    const ca = signerFromKey(privateKey, 'bench-ca');
    const caKey = sshPublicKeyFromSpki(ca.spki);
    const fields: SshCertificateFields = {
      kind: 'user',
      publicKey: sshPublicKeyFromKeyObject(generateKeyPairSync('ed25519').publicKey),
      serial: 1n,
      keyId: 'technician@example.com:0f6d5c1e-7a7b-4b53-9d0e-4f1c2a3b4c5d',
      principals: ['device:sku-1:000123', 'tag:lab'],
      validAfter: new Date('2026-12-06T12:00:00Z'),
      validBefore: new Date('2026-12-06T20:00:00Z'),
      criticalOptions: { 'source-address': '192.0.2.0/24' },
      extensions: ['permit-pty'],
    };

    say('ssh: raw Ed25519 signatures on one core…');
    const rawBefore = measureSignRate('ed25519');
    say('ssh: certificates, 1 and 8 in flight…');
    await certificateRate(fields, ca, 1, 0.5); // warm-up
    const one = await certificateRate(fields, ca, 1, 3);
    const eight = await certificateRate(fields, ca, 8, 3);
    const rawAfter = measureSignRate('ed25519');
    const raw = Math.max(rawBefore, rawAfter);

    process.stdout.write('\n### SSH certificates (Ed25519 CA, Ed25519 subject key, 2 principals, 1 critical option, 1 extension)\n\n');
    process.stdout.write('| what | per second | ratio to raw Ed25519 sign |\n| --- | ---: | ---: |\n');
    process.stdout.write(`| raw Ed25519 \`crypto.sign\`, one core, sequential (higher of before/after) | ${raw.toFixed(0)} | 1.00 |\n`);
    process.stdout.write(`| signSshCertificate, 1 in flight | ${one.toFixed(0)} | ${(one / raw).toFixed(2)} |\n`);
    process.stdout.write(`| signSshCertificate, 8 in flight | ${eight.toFixed(0)} | ${(eight / raw).toFixed(2)} |\n`);

    // ssh-keygen -Q needs a certificate to ask about, and the CA's public key in the KRL.
    const certFile = join(dir, 'user-cert.pub');
    await writeFile(certFile, `${formatSshCertificate(await signSshCertificate({ ...fields, serial: 999_999_999n }, ca))}\n`);
    await writeFile(join(dir, 'ca'), opensshPrivateKey(privateKey), { mode: 0o600 });

    process.stdout.write('\n### KRL for 100,000 revoked serials\n\n');
    process.stdout.write('| serials | build (median of 5) | bytes | bytes per serial | our parse | `ssh-keygen -Q` (wall, median of 5) | agent refresh: parse + atomic write (median of 5) |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n');
    for (const [index, shape] of shapes.entries()) {
      const serials = shape.serials();
      const builds: number[] = [];
      let krl: Buffer = Buffer.alloc(0);
      for (let i = 0; i < 5; i++) {
        const t = await time(() => encodeKrl({ caKey, serials, version: BigInt(i + 1), generatedAt: new Date() }));
        builds.push(t.ms);
        krl = t.value;
      }
      const parses: number[] = [];
      for (let i = 0; i < 5; i++) parses.push((await time(() => parseKrl(krl))).ms);
      const krlFile = join(dir, 'bench.krl');
      await writeFile(krlFile, krl);
      const keygen: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const r = spawnSync('ssh-keygen', ['-Q', '-f', krlFile, certFile], { encoding: 'utf8' });
        keygen.push(performance.now() - t0);
        if (r.status !== 0 || !/: ok$/m.test(r.stdout)) throw new Error(`ssh-keygen -Q on the bench KRL: ${r.status} ${r.stdout}${r.stderr}`);
      }
      const refreshes = await agentRefresh(join(dir, `agent-${index}`), caKey, serials);
      const cell = (ms: number): string => `${ms.toFixed(1)} ms`;
      process.stdout.write(`| ${shape.name} | ${cell(median(builds))} | ${krl.length} | ${(krl.length / serials.length).toFixed(2)} | ${cell(median(parses))} | ${cell(median(keygen))} | ${cell(median(refreshes))} |\n`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** syncSshTrust with a new KRL version each time (the config unchanged): what a device pays per changed KRL. */
async function agentRefresh(dir: string, caKey: ReturnType<typeof sshPublicKeyFromSpki>, serials: bigint[]): Promise<number[]> {
  const api = new SshApiStandIn();
  api.configAnswer = { userCaKeys: [formatSshPublicKey(caKey)], principals: ['device:sku-1:000123'], krlRefreshSeconds: 300 };
  const krls = Array.from({ length: 6 }, (_, i) => encodeKrl({ caKey, serials: [...serials, BigInt(2 ** 53 + i)], version: BigInt(i + 1), generatedAt: new Date() }));
  const options = { api, dir: join(dir, 'agent-ssh'), product: 'sku-1', serial: '000123', log: () => undefined };
  api.krlAnswer = krls[0]!;
  await syncSshTrust(options);
  const times: number[] = [];
  for (const krl of krls.slice(1)) {
    api.krlAnswer = krl;
    const t = await time(() => syncSshTrust(options));
    if (t.value.krl.status !== 'written') throw new Error('the bench KRL was not written');
    times.push(t.ms);
  }
  return times;
}
