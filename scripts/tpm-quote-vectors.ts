// Writes TPM 2.0 quote test vectors to test/vectors/tpm/ from a real software TPM (swtpm) driven
// by tpm2-tools through the agent's driver, so the parser's unit tests run on a TPM's own bytes
// without a TPM. Run: node scripts/tpm-quote-vectors.ts
// Each run makes a new TPM (new EK and AK, new signatures); the test checks what each vector is
// labelled to do, not its bytes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { extendPcr, provisionAttestationKey, quotePcrs, Tpm2Tools } from '../src/agent/attest/index.ts';
import { encodeTpmQuoteEvidence } from '../src/attestation/tpm/index.ts';
import { encodeBase64 } from '../src/ledger/strict-base64.ts';
import { startSwtpm } from '../test/support/swtpm.ts';

const sha256 = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest());
const measurements = { 0: ['bootloader 2.1.0', 'firmware image 1.4.0'], 7: ['configuration 1.4.0'] };

const tpm = await startSwtpm();
try {
  const tools = new Tpm2Tools(tpm.tcti);
  const keys = await provisionAttestationKey(tools);
  for (const [pcr, list] of Object.entries(measurements))
    for (const m of list) await extendPcr(tools, Number(pcr), 'sha256', sha256(m));
  const nonce = sha256('trustplane test vector nonce');
  const evidence = await quotePcrs(tools, nonce, { bank: 'sha256', pcrs: [0, 7] });
  const version = (tool: string): string =>
    /version="([^"]+)"/.exec(execFileSync(tool, ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
  const vector = {
    source: `swtpm (${execFileSync('swtpm', ['--version'], { encoding: 'utf8' }).trim()}), tpm2-tools ${version('tpm2_quote')}; scripts/tpm-quote-vectors.ts`,
    measurements: Object.fromEntries(
      Object.entries(measurements).map(([pcr, list]) => [pcr, list.map((m) => `sha256("${m}")`)]),
    ),
    nonce: encodeBase64(nonce),
    ekPublic: encodeBase64(keys.ekPublic),
    evidence: encodeTpmQuoteEvidence(evidence),
  };
  const dir = new URL('../test/vectors/tpm/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('quote-ecc-p256.json', dir), `${JSON.stringify(vector, null, 2)}\n`);
  console.log('wrote test/vectors/tpm/quote-ecc-p256.json');
} finally {
  await tpm.stop();
}
