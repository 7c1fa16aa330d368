/**
 * The test seam: a document refused by the same check the publish path runs (csafFailures /
 * assertValidCsaf), with the failing test and the place named. A document the builder makes is
 * valid; broken copies of it are not: a product status naming a product the tree does not define
 * (6.1.1), a tracking without its version (the strict schema), a property CSAF does not define
 * (the strict schema), a known affected release without a remediation in a VEX (6.1.27.10), a
 * revision history with a gap (6.1.21).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTrustplaneError } from '../../core/errors.ts';
import { csafDocument } from './csaf-document.ts';
import { assertValidCsaf, csafFailures } from './csaf-validation.ts';
import type { CsafDocument } from './csaf.types.ts';
import { product, publisher, release, row, tracking, vulnerability } from './testing/register-fixtures.ts';

function validDocument(): CsafDocument {
  const r1 = release('rel_1', '1.0.0');
  const r2 = release('rel_2', '1.1.0');
  const built = csafDocument(
    { profile: 'csaf_vex', product: product(), vulnerabilityId: undefined },
    { vulnerabilities: [vulnerability('GHSA-aaaa-bbbb-cccc', { aliases: ['CVE-2025-0001'] })], rows: [row('GHSA-aaaa-bbbb-cccc', r1, 'fixed', { fixedIn: r2 }), row('GHSA-aaaa-bbbb-cccc', r2, 'fixed', { fixedIn: r2 })], productVulnerabilities: [], releases: [r1, r2] },
    publisher,
    'https://psirt.acme.example/.well-known/csaf/white/2026/gw-1-vex.json',
    tracking('GW-1-VEX'),
  );
  return built!.document;
}

async function refusal(doc: unknown): Promise<{ message: string; failures: { test: string; section: string; instancePath: string; message: string }[] }> {
  try {
    await assertValidCsaf(doc);
  } catch (e) {
    assert.ok(isTrustplaneError(e) && e.code === 'CSAF_INVALID', String(e));
    assert.equal(e.status, 422);
    return { message: e.message, failures: e.details!.failures as never };
  }
  assert.fail('the document was not refused');
}

describe("CSAF validation (the publish path's check)", () => {
  it('passes a document the builder made', async () => {
    assert.deepEqual(await csafFailures(validDocument()), []);
    await assertValidCsaf(validDocument());
  });

  it('refuses a product status naming an undefined product (mandatory test 6.1.1)', async () => {
    const doc = validDocument();
    doc.vulnerabilities[0]!.product_status.known_affected!.push('CSAFPID-NOWHERE');
    const { message, failures } = await refusal(doc);
    assert.deepEqual(failures.find((f) => f.section === '6.1.1'), { test: 'mandatoryTest_6_1_1', section: '6.1.1', instancePath: '/vulnerabilities/0/product_status/known_affected/1', message: 'definition of product id missing' });
    assert.match(message, /mandatory test 6\.1\.1 at \/vulnerabilities\/0\/product_status\/known_affected\/1: definition of product id missing/);
  });

  it('refuses a tracking without its version, and a property CSAF does not define (the strict schema)', async () => {
    const doc = validDocument() as unknown as { document: { tracking: Record<string, unknown> }; vulnerabilities: Record<string, unknown>[] };
    delete doc.document.tracking.version;
    const missing = await refusal(doc);
    assert.ok(missing.failures.some((f) => f.test === 'csaf_2_0_strict' && f.instancePath === '/document/tracking' && /required property 'version'/.test(f.message)), JSON.stringify(missing.failures));
    assert.match(missing.message, /the strict schema at \/document\/tracking: must have required property 'version'/);
    const extra = validDocument() as unknown as { vulnerabilities: Record<string, unknown>[] };
    extra.vulnerabilities[0]!.x_trustplane = true;
    assert.ok((await refusal(extra)).failures.some((f) => f.test === 'csaf_2_0_strict' && f.instancePath === '/vulnerabilities/0'));
  });

  it('refuses a known affected release without an action statement in a VEX (6.1.27.10) and a revision history with a gap (6.1.21)', async () => {
    const doc = validDocument();
    delete doc.vulnerabilities[0]!.remediations;
    assert.deepEqual((await refusal(doc)).failures.map((f) => [f.section, f.instancePath]), [['6.1.27.10', '/vulnerabilities/0/product_status/known_affected/0']]);
    const gap = validDocument();
    gap.document.tracking.revision_history.push({ date: '2026-03-02T00:00:00.000Z', number: '3', summary: 'skipped 2' });
    gap.document.tracking.version = '3';
    assert.ok((await refusal(gap)).failures.some((f) => f.section === '6.1.21'));
  });
});
