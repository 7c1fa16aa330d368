import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TrustplaneError } from '../core/errors.ts';
import { readReferenceValues, referencePcrValues } from './release-reference-values.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
// A real swtpm's PCRs after these extends (scripts/tpm-quote-vectors.ts wrote the vector).
const vector = JSON.parse(readFileSync(new URL('../../test/vectors/tpm/quote-ecc-p256.json', import.meta.url), 'utf8')) as {
  evidence: { pcrs: { values: Record<string, string> } };
};
const refused = (e: unknown) => e instanceof TrustplaneError && e.code === 'VALIDATION_FAILED';

describe('a release’s boot measurements as reference values', () => {
  it('give the PCR values a TPM reports after the same extends', () => {
    const r = readReferenceValues({
      bank: 'sha256',
      pcrs: { '7': [sha256('configuration 1.4.0')], '0': [sha256('bootloader 2.1.0'), sha256('firmware image 1.4.0')] },
    })!;
    assert.deepEqual(referencePcrValues(r), { bank: 'sha256', values: vector.evidence.pcrs.values });
    assert.deepEqual(Object.keys(r.pcrs), ['0', '7'], 'PCRs in index order: one spelling');
  });

  it('are optional, and refused when malformed', () => {
    assert.equal(readReferenceValues(undefined), null);
    const d = sha256('x');
    for (const bad of [
      null,
      { bank: 'sha1', pcrs: { '0': [d] } },
      { bank: 'sha256', pcrs: {} },
      { bank: 'sha256', pcrs: { '24': [d] } },
      { bank: 'sha256', pcrs: { '01': [d] } },
      { bank: 'sha256', pcrs: { '0': [] } },
      { bank: 'sha256', pcrs: { '0': [d.toUpperCase()] } },
      { bank: 'sha384', pcrs: { '0': [d] } },
      { bank: 'sha256', pcrs: { '0': [d] }, extra: 1 },
      { bank: 'sha256', pcrs: { '0': Array.from({ length: 65 }, () => d) } },
    ])
      assert.throws(() => readReferenceValues(bad), refused, JSON.stringify(bad).slice(0, 80));
  });
});
