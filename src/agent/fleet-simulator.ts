import { randomBytes } from 'node:crypto';
import * as https from 'node:https';
import { performance } from 'node:perf_hooks';
import { systemClock, type Clock } from '../core/clock.ts';
import type { KeyAlgorithm } from '../crypto/key-algorithm.ts';
import { describeFailure } from './agent-error.ts';
import { buildCertificationRequest, generateDeviceKey, type DeviceKeyPair } from './csr-request.ts';
import { EstClient } from './est-client.ts';
import type { TlsClientIdentity } from './http-transport.ts';
import { OperationRecorder, type OperationSummary } from './latency-summary.ts';
import { createSimulatorBatch, type SerialToken } from './provisioning-api.ts';

export interface FleetSimulation {
  /** The EST server, `https://host:port`. */
  readonly estServer: string;
  /** The REST API, e.g. `http://127.0.0.1:8443`. */
  readonly apiUrl: string;
  /** A token with `batch:write` (admin) to create the batch. */
  readonly adminToken: string;
  readonly caBundlePem: string;
  readonly product: string;
  readonly devices: number;
  readonly concurrency: number;
  /** Reenroll every enrolled device once, with a new key, authenticated by its new certificate. */
  readonly renew: boolean;
  readonly clock?: Clock;
  /** Called after each operation, for a progress bar. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface FleetSummary {
  product: string;
  devices: number;
  concurrency: number;
  keyAlgorithm: KeyAlgorithm;
  batches: string[];
  /** Devices whose every operation succeeded. */
  succeeded: number;
  failed: number;
  failuresByCode: Record<string, number>;
  operations: { enroll: OperationSummary; reenroll?: OperationSummary };
  totalMs: number;
  /** Successful operations per second over the whole run. */
  operationsPerSecond: number;
}

/** The API takes at most this many serials per batch (docs/design/enrollment.md "Batch rules"). */
const MAX_BATCH_SERIALS = 10_000;

/**
 * A fleet of simulated devices against a real server: a batch of fresh serials
 * (`SIM-<random>-00001`…) through the REST API, then `concurrency` workers that each enroll a
 * device over EST with its token (keys in memory) and, with `renew`, reenroll it once.
 * No CLI here: `bench/` imports it.
 */
export async function simulateFleet(s: FleetSimulation): Promise<FleetSummary> {
  const started = performance.now();
  const clock = s.clock ?? systemClock;
  const serials = await createBatches(s, clock);
  // Token enrollments share keep-alive connections; each renewal has its own client certificate,
  // so pooling those would only keep one idle socket per device open.
  const enrollAgent = new https.Agent({ keepAlive: true, maxSockets: s.concurrency });
  const reenrollAgent = new https.Agent({ keepAlive: false });
  const est = (agent: https.Agent): EstClient =>
    new EstClient({ server: s.estServer, product: s.product, caBundlePem: s.caBundlePem, agent, attempts: 5, clock });
  const enrollClient = est(enrollAgent);
  const reenrollClient = est(reenrollAgent);
  const failuresByCode: Record<string, number> = {};
  const fail = (e: unknown): void => {
    const code = describeFailure(e).code;
    failuresByCode[code] = (failuresByCode[code] ?? 0) + 1;
  };
  const total = serials.length * (s.renew ? 2 : 1);
  let done = 0;
  const progress = (): void => s.onProgress?.(++done, total);

  try {
    const keyAlgorithm = await enrollClient.keyAlgorithm();
    const enroll = new OperationRecorder();
    const identities = new Map<string, { identity: TlsClientIdentity }>();
    await inParallel(serials, s.concurrency, async ({ serial, token }) => {
      const key = await generateDeviceKey(keyAlgorithm);
      const csr = buildCertificationRequest(keyAlgorithm, key, serial).der;
      const t0 = performance.now();
      enroll.begin(t0);
      try {
        const certPem = await enrollClient.simpleEnroll(csr, { kind: 'token', serial, token });
        enroll.succeeded(performance.now() - t0, performance.now());
        identities.set(serial, { identity: { certPem, keyPem: pemOf(key) } });
      } catch (e) {
        enroll.failed(performance.now());
        fail(e);
      }
      progress();
    });

    const reenroll = new OperationRecorder();
    const renewed = new Set<string>();
    if (s.renew) {
      await inParallel(serials, s.concurrency, async ({ serial }) => {
        const enrolled = identities.get(serial);
        if (enrolled) {
          const key = await generateDeviceKey(keyAlgorithm);
          const csr = buildCertificationRequest(keyAlgorithm, key, serial).der;
          const t0 = performance.now();
          reenroll.begin(t0);
          try {
            await reenrollClient.simpleReenroll(csr, enrolled.identity);
            reenroll.succeeded(performance.now() - t0, performance.now());
            renewed.add(serial);
          } catch (e) {
            reenroll.failed(performance.now());
            fail(e);
          }
        }
        progress();
      });
    }

    const succeeded = s.renew ? renewed.size : identities.size;
    const totalMs = performance.now() - started;
    const enrollSummary = enroll.summary();
    const reenrollSummary = s.renew ? reenroll.summary() : undefined;
    const ok = enrollSummary.succeeded + (reenrollSummary?.succeeded ?? 0);
    return {
      product: s.product,
      devices: serials.length,
      concurrency: s.concurrency,
      keyAlgorithm,
      batches: [...new Set(serials.map((x) => x.batchId))],
      succeeded,
      failed: serials.length - succeeded,
      failuresByCode,
      operations: reenrollSummary ? { enroll: enrollSummary, reenroll: reenrollSummary } : { enroll: enrollSummary },
      totalMs: Math.round(totalMs),
      operationsPerSecond: totalMs > 0 ? Math.round((ok / totalMs) * 100_000) / 100 : 0,
    };
  } finally {
    enrollAgent.destroy();
    reenrollAgent.destroy();
  }
}

async function createBatches(s: FleetSimulation, clock: Clock): Promise<(SerialToken & { batchId: string })[]> {
  const prefix = `SIM-${randomBytes(4).toString('hex')}-`;
  const width = Math.max(5, String(s.devices).length);
  const validUntil = new Date(clock.now().getTime() + 24 * 3_600_000);
  const all: (SerialToken & { batchId: string })[] = [];
  for (let from = 1; from <= s.devices; from += MAX_BATCH_SERIALS) {
    const to = Math.min(s.devices, from + MAX_BATCH_SERIALS - 1);
    const batch = await createSimulatorBatch({
      apiUrl: s.apiUrl,
      adminToken: s.adminToken,
      caPem: s.caBundlePem,
      product: s.product,
      prefix,
      from,
      to,
      width,
      validUntil,
    });
    all.push(...batch.tokens.map((t) => ({ ...t, batchId: batch.batchId })));
  }
  return all;
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

function pemOf(key: DeviceKeyPair): string {
  return key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}
