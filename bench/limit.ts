// The limit: what one core does with the same key type when nothing but the
// two unavoidable operations of an issuance run — verify the CSR's signature,
// sign the certificate — with Node's crypto, synchronously, on the main thread.
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { generateKeyPairSyncFor } from '../src/crypto/key-algorithm.ts';

/** ECDSA P-256 (SHA-256, DER signatures) sign + verify pairs per second on one core. */
export function measureSignVerifyLimit(seconds = 2): number {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // KeyObjects as they are (DER signatures are Node's default): the fastest form Node offers.
  // About the size of a device TBSCertificate; the digest of a few hundred bytes is noise anyway.
  const data = new Uint8Array(520).fill(0x5a);
  const pair = (): void => {
    const signature = sign('sha256', data, privateKey);
    if (!verify('sha256', data, publicKey, signature)) throw new Error('the limit measurement failed to verify its own signature');
  };
  for (let i = 0; i < 200; i++) pair(); // warm-up
  let pairs = 0;
  const started = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 100; i++) pair();
    pairs += 100;
    elapsed = process.hrtime.bigint() - started;
  }
  return pairs / (Number(elapsed) / 1e9);
}

/**
 * Signatures per second of one algorithm that signs the message itself (Ed25519, ML-DSA-65),
 * `crypto.sign` sequentially on one core: the floor under the signed-updates figures. 512 bytes,
 * about a TUF timestamp's canonical JSON or a boot manifest's COSE payload.
 */
export function measureSignRate(algorithm: 'ed25519' | 'ml-dsa-65', seconds = 2): number {
  const { privateKey } = generateKeyPairSyncFor(algorithm);
  const data = new Uint8Array(512).fill(0x5a);
  for (let i = 0; i < 50; i++) sign(null, data, privateKey); // warm-up
  let signatures = 0;
  const started = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 20; i++) sign(null, data, privateKey);
    signatures += 20;
    elapsed = process.hrtime.bigint() - started;
  }
  return signatures / (Number(elapsed) / 1e9);
}

/** Calls of `operation` per second, sequentially on one core, for `seconds` (after a short warm-up). */
export function measureRate(operation: () => void, seconds = 2): number {
  for (let i = 0; i < 50; i++) operation();
  let calls = 0;
  const started = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 20; i++) operation();
    calls += 20;
    elapsed = process.hrtime.bigint() - started;
  }
  return calls / (Number(elapsed) / 1e9);
}

/**
 * Raw signature verifications per second of one algorithm, `crypto.verify` on a prepared
 * KeyObject, sequentially on one core: the floor under the attestation evidence figures.
 * ECDSA P-256 with SHA-256 (DER signatures, Node's default) as a TPM AK or an ES256 device key
 * signs; Ed25519 as an Ed25519 device key. `bytes`: the signed message's size.
 */
export function measureVerifyRate(algorithm: 'ecdsa-p256' | 'ed25519', bytes: number, seconds = 2): number {
  return measureRate(rawVerify(algorithm, bytes), seconds);
}

/** One raw verification of `algorithm` over `bytes` bytes, its key and signature made once. */
export function rawVerify(algorithm: 'ecdsa-p256' | 'ed25519', bytes: number): () => void {
  const { privateKey, publicKey } =
    algorithm === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const hash = algorithm === 'ed25519' ? null : 'sha256';
  const data = new Uint8Array(bytes).fill(0x5a);
  const signature = sign(hash, data, privateKey);
  return () => {
    if (!verify(hash, data, publicKey, signature)) throw new Error('the limit measurement failed to verify its own signature');
  };
}

/**
 * Calls per second of `operation` and of its `peer`, measured in alternating slices of about
 * 20 ms for `seconds` in all. On a shared machine a load that comes and goes then weighs on both
 * alike, so their ratio holds where two figures measured one after the other do not (the
 * attestation rows once read 0.36 of a raw rate measured seconds earlier, 0.65 interleaved).
 */
export function measurePairedRates(operation: () => void, peer: () => void, seconds = 2): { perSecond: number; peerPerSecond: number } {
  for (let i = 0; i < 50; i++) {
    operation();
    peer();
  }
  const slice = (f: () => void): [number, bigint] => {
    const started = process.hrtime.bigint();
    let calls = 0;
    while (process.hrtime.bigint() - started < 20_000_000n) {
      for (let i = 0; i < 10; i++) f();
      calls += 10;
    }
    return [calls, process.hrtime.bigint() - started];
  };
  const totals = { operation: [0, 0n] as [number, bigint], peer: [0, 0n] as [number, bigint] };
  const budget = BigInt(Math.round(seconds * 1e9));
  while (totals.operation[1] + totals.peer[1] < budget)
    for (const [name, f] of [['operation', operation], ['peer', peer]] as const) {
      const [calls, ns] = slice(f);
      totals[name][0] += calls;
      totals[name][1] += ns;
    }
  const rate = ([calls, ns]: [number, bigint]): number => calls / (Number(ns) / 1e9);
  return { perSecond: rate(totals.operation), peerPerSecond: rate(totals.peer) };
}
