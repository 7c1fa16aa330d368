import type { DocumentTest, default as Validate } from '@secvisogram/csaf-validator-lib/validate.js';
import { TrustplaneError } from '../../core/errors.ts';

/**
 * What every CSAF document trustplane publishes must pass, with BSI's csaf-validator-lib: the CSAF
 * 2.0 JSON schema in its strict form (no property the standard does not define) and every
 * mandatory test of CSAF 2.0 §6.1 (6.1.1 … 6.1.33, the profile tests 6.1.27.x among them).
 *
 * The library's `validate` runs a list of tests; its `validateStrict` only adds a check that each
 * test is one of the library's own (for lists that come from outside). This list is a constant of
 * the library's own tests, and `validateStrict` would load the optional and informative tests too.
 * Loaded on first use: compiling the library's schemas takes seconds, which every server start
 * (and every test process) would otherwise pay.
 */
type Library = { validate: typeof Validate; tests: DocumentTest[] };
let library: Promise<Library> | undefined;

function loadLibrary(): Promise<Library> {
  library ??= Promise.all([import('@secvisogram/csaf-validator-lib/validate.js'), import('@secvisogram/csaf-validator-lib/mandatoryTests.js'), import('@secvisogram/csaf-validator-lib/schemaTests.js')]).then(([validate, mandatory, schema]) => ({
    validate: validate.default,
    tests: [schema.csaf_2_0_strict, ...Object.entries(mandatory).flatMap(([name, test]) => (name.startsWith('mandatoryTest_') ? [test as DocumentTest] : []))],
  }));
  return library;
}

/** One finding of a failing test: which test, where in the document, what it says. */
export interface CsafFailure {
  /** the library's test name: `csaf_2_0_strict` or `mandatoryTest_6_1_<n>` */
  test: string;
  /** the CSAF 2.0 section, `6.1.27.10`; `schema` for the strict schema */
  section: string;
  /** JSON pointer into the document */
  instancePath: string;
  message: string;
}

/** The failures of `document` (empty: it passes). The test seam: the publish path calls exactly this. */
export async function csafFailures(document: unknown): Promise<CsafFailure[]> {
  const { validate, tests } = await loadLibrary();
  const result = await validate(tests, document);
  return result.tests
    .filter((t) => !t.isValid)
    .flatMap((t) => {
      const section = t.name === 'csaf_2_0_strict' ? 'schema' : t.name.replace(/^mandatoryTest_/, '').replaceAll('_', '.');
      const errors = t.errors.length > 0 ? t.errors : [{ instancePath: '', message: 'the test failed' }];
      return errors.map((e) => ({ test: t.name, section, instancePath: e.instancePath, message: e.message }));
    });
}

/** Refuses (CSAF_INVALID, nothing written) a document that fails any of the tests, naming each failure. */
export async function assertValidCsaf(document: unknown): Promise<void> {
  const failures = await csafFailures(document);
  if (failures.length === 0) return;
  const shown = failures.slice(0, 3).map(describeFailure).join('; ');
  const more = failures.length > 3 ? `; and ${failures.length - 3} more` : '';
  throw new TrustplaneError('CSAF_INVALID', `the CSAF document fails ${shown}${more}`, { details: { failures: failures.slice(0, 100) } });
}

export function describeFailure(f: CsafFailure): string {
  const what = f.section === 'schema' ? 'the strict schema' : `mandatory test ${f.section}`;
  return `${what} at ${f.instancePath === '' ? '/' : f.instancePath}: ${f.message}`;
}
