// Service layer: Trustplane.verifyCsr (worker threads) + IssuancePipeline.issue, as the enroll route
// calls them, without HTTP, with a bounded number of requests in flight (the
// pipeline batches what is queued into one unit of work, committed to the database).
// A request's latency runs from the CSR check to the committed certificate.
import type { ProductRecord } from '../src/pki/records.types.ts';
import type { Trustplane } from '../src/server/trustplane.ts';
import { benchActor, deviceSerial, type BenchCsr } from './fixtures.ts';
import { elapsedMs, summarise, type Throughput } from './stats.ts';

export async function runServiceIssuance(tp: Trustplane, product: ProductRecord, csrs: readonly BenchCsr[], inFlight: number): Promise<Throughput> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < csrs.length; i = next++) {
      const started = process.hrtime.bigint();
      try {
        const csr = await tp.verifyCsr(csrs[i]!.der);
        const { certificate } = await tp.issuance.issue({ kind: 'enroll', product, serial: deviceSerial(i), csr, actor: benchActor });
        if (certificate.der.length === 0) throw new Error('no certificate');
        latencies.push(elapsedMs(started));
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(inFlight, csrs.length) }, worker));
  return summarise(latencies, elapsedMs(started) / 1000, errors, firstError);
}
