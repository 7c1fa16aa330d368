// @secvisogram/csaf-validator-lib ships JavaScript only: the parts trustplane calls, as its README
// documents them (DocumentTest, Result).

declare module '@secvisogram/csaf-validator-lib/validateStrict.js' {
  interface Finding {
    message: string;
    instancePath: string;
  }
  interface TestResult {
    name: string;
    isValid: boolean;
    errors: Finding[];
    warnings: Finding[];
    infos: Finding[];
  }
  type DocumentTest = (doc: unknown) => unknown;
  /** Runs each test (refusing any function the library does not define) over the document. */
  export default function validateStrict(tests: readonly DocumentTest[], doc: unknown): Promise<{ isValid: boolean; tests: TestResult[] }>;
}

declare module '@secvisogram/csaf-validator-lib/validate.js' {
  interface Finding {
    message: string;
    instancePath: string;
  }
  interface TestResult {
    name: string;
    isValid: boolean;
    errors: Finding[];
    warnings: Finding[];
    infos: Finding[];
  }
  /** A test: its function name is its identifier (`mandatoryTest_6_1_1`). */
  export type DocumentTest = (doc: unknown) => unknown;
  /** Runs each test over the document; the caller answers for the tests being the library's own. */
  export default function validate(tests: readonly DocumentTest[], doc: unknown): Promise<{ isValid: boolean; tests: TestResult[] }>;
}

declare module '@secvisogram/csaf-validator-lib/schemaTests.js' {
  /** The CSAF 2.0 JSON schema with additionalProperties false everywhere (the "strict" schema). */
  export const csaf_2_0_strict: (doc: unknown) => unknown;
  export const csaf_2_0: (doc: unknown) => unknown;
}

declare module '@secvisogram/csaf-validator-lib/mandatoryTests.js' {
  /** CSAF 2.0 §6.1: every mandatory test, each named after its section. */
  type DocumentTest = (doc: unknown) => unknown;
  export const mandatoryTest_6_1_1: DocumentTest;
  export const mandatoryTest_6_1_2: DocumentTest;
  export const mandatoryTest_6_1_3: DocumentTest;
  export const mandatoryTest_6_1_4: DocumentTest;
  export const mandatoryTest_6_1_5: DocumentTest;
  export const mandatoryTest_6_1_6: DocumentTest;
  export const mandatoryTest_6_1_7: DocumentTest;
  export const mandatoryTest_6_1_8: DocumentTest;
  export const mandatoryTest_6_1_9: DocumentTest;
  export const mandatoryTest_6_1_10: DocumentTest;
  export const mandatoryTest_6_1_11: DocumentTest;
  export const mandatoryTest_6_1_12: DocumentTest;
  export const mandatoryTest_6_1_13: DocumentTest;
  export const mandatoryTest_6_1_14: DocumentTest;
  export const mandatoryTest_6_1_15: DocumentTest;
  export const mandatoryTest_6_1_16: DocumentTest;
  export const mandatoryTest_6_1_17: DocumentTest;
  export const mandatoryTest_6_1_18: DocumentTest;
  export const mandatoryTest_6_1_19: DocumentTest;
  export const mandatoryTest_6_1_20: DocumentTest;
  export const mandatoryTest_6_1_21: DocumentTest;
  export const mandatoryTest_6_1_22: DocumentTest;
  export const mandatoryTest_6_1_23: DocumentTest;
  export const mandatoryTest_6_1_24: DocumentTest;
  export const mandatoryTest_6_1_25: DocumentTest;
  export const mandatoryTest_6_1_26: DocumentTest;
  export const mandatoryTest_6_1_27_1: DocumentTest;
  export const mandatoryTest_6_1_27_2: DocumentTest;
  export const mandatoryTest_6_1_27_3: DocumentTest;
  export const mandatoryTest_6_1_27_4: DocumentTest;
  export const mandatoryTest_6_1_27_5: DocumentTest;
  export const mandatoryTest_6_1_27_6: DocumentTest;
  export const mandatoryTest_6_1_27_7: DocumentTest;
  export const mandatoryTest_6_1_27_8: DocumentTest;
  export const mandatoryTest_6_1_27_9: DocumentTest;
  export const mandatoryTest_6_1_27_10: DocumentTest;
  export const mandatoryTest_6_1_27_11: DocumentTest;
  export const mandatoryTest_6_1_28: DocumentTest;
  export const mandatoryTest_6_1_29: DocumentTest;
  export const mandatoryTest_6_1_30: DocumentTest;
  export const mandatoryTest_6_1_31: DocumentTest;
  export const mandatoryTest_6_1_32: DocumentTest;
  export const mandatoryTest_6_1_33: DocumentTest;
}
