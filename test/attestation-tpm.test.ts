// Issue 15: TPM 2.0 quotes from a real software TPM (swtpm, libtpms), made by tpm2-tools through
// the agent's driver, verified by trustplane's own parser and checked against tpm2_checkquote.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { extendPcr, provisionAttestationKey, quotePcrs, type Tpm2Tools } from '../src/agent/attest/index.ts';
import { referencePcrValue, verifyTpmQuote, type TpmQuoteEvidence } from '../src/attestation/tpm/index.ts';
import { TrustplaneError } from '../src/core/errors.ts';
import { startProvisionedSwtpm, type ProvisionedSwtpm } from './support/swtpm.ts';

const sha256 = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest());

/** A released firmware's boot measurements: PCR 0 bootloader then image, PCR 7 its configuration. */
const released = {
  pcr0: [sha256('bootloader 2.1.0'), sha256('firmware image 1.4.0')],
  pcr7: [sha256('configuration 1.4.0')],
};
const selection = { bank: 'sha256', pcrs: [0, 7] } as const;

function refusedWith(code: string, f: () => unknown): void {
  assert.throws(f, (e: unknown) => e instanceof TrustplaneError && e.code === code, `expected ${code}`);
}

function flip(bytes: Uint8Array, at: number, xor = 0x01): Uint8Array {
  const out = new Uint8Array(bytes);
  const i = at < 0 ? out.length + at : at;
  out[i] = (out[i] ?? 0) ^ xor;
  return out;
}

/** tpm2_checkquote's verdict on a quote: the signature with the AK, and extraData against the nonce. */
async function checkquote(
  tools: Tpm2Tools,
  akPublic: Uint8Array,
  e: TpmQuoteEvidence,
  nonce: Uint8Array,
): Promise<boolean> {
  return tools.withFiles(async (f) => {
    await writeFile(f('ak.pub'), akPublic);
    await writeFile(f('attest'), e.attest);
    await writeFile(f('sig'), e.signature);
    return tools
      .run('tpm2_checkquote', [
        '-u',
        f('ak.pub'),
        '-m',
        f('attest'),
        '-s',
        f('sig'),
        '-g',
        'sha256',
        '-q',
        Buffer.from(nonce).toString('hex'),
      ])
      .then(
        () => true,
        () => false,
      );
  });
}

/**
 * External data signed by the restricted AK at 0x81000a01: TPM2_Hash gives a ticket that the data
 * was hashed by the TPM and does not start with TPM_GENERATED_VALUE (else no valid ticket), and
 * TPM2_Sign of a restricted key needs that ticket.
 */
async function signThroughHashTicket(tools: Tpm2Tools, message: Uint8Array): Promise<Uint8Array> {
  return tools.withFiles(async (f) => {
    await writeFile(f('message'), message);
    await tools.run('tpm2_hash', ['-C', 'e', '-g', 'sha256', '-t', f('ticket'), '-o', f('digest'), f('message')]);
    await tools.run('tpm2_sign', [
      '-c',
      '0x81000a01',
      '-g',
      'sha256',
      '-d',
      '-t',
      f('ticket'),
      '-o',
      f('sig'),
      f('digest'),
    ]);
    return tools.readBytes(f('sig'));
  });
}

describe('TPM 2.0 quotes from swtpm', () => {
  let tpmA: ProvisionedSwtpm;
  let tpmB: ProvisionedSwtpm;

  before(async () => {
    [tpmA, tpmB] = await Promise.all([startProvisionedSwtpm(), startProvisionedSwtpm()]);
    // TPM A boots the released firmware.
    for (const m of released.pcr0) await extendPcr(tpmA.tools, 0, 'sha256', m);
    for (const m of released.pcr7) await extendPcr(tpmA.tools, 7, 'sha256', m);
  });

  after(async () => {
    await Promise.all([tpmA?.stop(), tpmB?.stop()]);
  });

  it('provisioning is idempotent: a second run keeps the same EK and AK', async () => {
    assert.deepEqual(await provisionAttestationKey(tpmA.tools), tpmA.keys);
    assert.notDeepEqual(tpmA.keys.akPublic, tpmB.keys.akPublic);
  });

  it('a good quote verifies, its PCRs equal the reference values computed from the measurements, and tpm2_checkquote agrees', async () => {
    const nonce = sha256('nonce 1');
    const e = await quotePcrs(tpmA.tools, nonce, selection);
    const result = verifyTpmQuote(e, nonce, tpmA.keys);
    assert.deepEqual(result.pcrs.values.get(0), referencePcrValue('sha256', released.pcr0));
    assert.deepEqual(result.pcrs.values.get(7), referencePcrValue('sha256', released.pcr7));
    assert.equal(await checkquote(tpmA.tools, tpmA.keys.akPublic, e, nonce), true);
  });

  it('tampered TPMS_ATTEST bytes are refused each with its own code, and by tpm2_checkquote', async () => {
    const nonce = sha256('nonce 2');
    const e = await quotePcrs(tpmA.tools, nonce, selection);
    // TPMS_ATTEST: magic @0, type @4, qualifiedSigner (2 + 34) @6, extraData (2 + 32) @42 …, pcrDigest last.
    const tampered: [string, string, TpmQuoteEvidence][] = [
      ['magic', 'QUOTE_MAGIC_INVALID', { ...e, attest: flip(e.attest, 0) }],
      ['type', 'QUOTE_TYPE_INVALID', { ...e, attest: flip(e.attest, 5, 0x0f) }],
      ['extraData', 'ATTESTATION_NONCE_MISMATCH', { ...e, attest: flip(e.attest, 44) }],
      ['qualifiedSigner', 'QUOTE_SIGNER_MISMATCH', { ...e, attest: flip(e.attest, 20) }],
      ['pcrDigest', 'QUOTE_PCR_DIGEST_MISMATCH', { ...e, attest: flip(e.attest, -1) }],
      ['signature', 'ATTESTATION_SIGNATURE_INVALID', { ...e, signature: flip(e.signature, -1) }],
    ];
    for (const [field, code, bad] of tampered) {
      refusedWith(code, () => verifyTpmQuote(bad, nonce, tpmA.keys));
      assert.equal(
        await checkquote(tpmA.tools, tpmA.keys.akPublic, bad, nonce),
        false,
        `tpm2_checkquote accepted a tampered ${field}`,
      );
    }
    // Reported PCR values that are not what the TPM quoted.
    const lying = new Map(e.pcrs.values).set(0, referencePcrValue('sha256', [sha256('anything')]));
    refusedWith('QUOTE_PCR_DIGEST_MISMATCH', () =>
      verifyTpmQuote({ ...e, pcrs: { alg: 'sha256', values: lying } }, nonce, tpmA.keys),
    );
    // A replayed quote answers an old nonce.
    refusedWith('ATTESTATION_NONCE_MISMATCH', () => verifyTpmQuote(e, sha256('nonce 3'), tpmA.keys));
  });

  it("a quote signed by another TPM's AK is refused", async () => {
    const nonce = sha256('nonce 4');
    const fromB = await quotePcrs(tpmB.tools, nonce, selection);
    assert.equal(verifyTpmQuote(fromB, nonce, tpmB.keys).kind, 'tpm2-quote');
    refusedWith('ATTESTATION_KEY_UNKNOWN', () => verifyTpmQuote(fromB, nonce, tpmA.keys));
    // Passed off as A's: qualifiedSigner names B's AK, and A's AK does not verify B's signature.
    refusedWith('QUOTE_SIGNER_MISMATCH', () =>
      verifyTpmQuote({ ...fromB, akPublic: tpmA.keys.akPublic }, nonce, tpmA.keys),
    );
    assert.equal(await checkquote(tpmA.tools, tpmA.keys.akPublic, fromB, nonce), false);
  });

  it('a quote by a second AK of the same TPM is refused against the registered one', async () => {
    const second = await provisionAttestationKey(tpmA.tools, { ek: 0x81010002, ak: 0x81000a02 });
    assert.deepEqual(second.ekPublic, tpmA.keys.ekPublic);
    const nonce = sha256('nonce 5');
    const e = await quotePcrs(tpmA.tools, nonce, selection, { ek: 0x81010002, ak: 0x81000a02 });
    refusedWith('ATTESTATION_KEY_UNKNOWN', () => verifyTpmQuote(e, nonce, tpmA.keys));
    refusedWith('QUOTE_SIGNER_MISMATCH', () =>
      verifyTpmQuote({ ...e, akPublic: tpmA.keys.akPublic }, nonce, tpmA.keys),
    );
  });

  it('a PCR extended with an unreleased image differs from the reference value of the released measurements', async () => {
    const unreleased = [released.pcr0[0]!, sha256('firmware image 1.4.0-patched')];
    for (const m of unreleased) await extendPcr(tpmB.tools, 0, 'sha256', m);
    const nonce = sha256('nonce 6');
    // The quote is a true report of what B booted: it verifies, and its PCR 0 is not the released value.
    const result = verifyTpmQuote(await quotePcrs(tpmB.tools, nonce, selection), nonce, tpmB.keys);
    assert.deepEqual(result.pcrs.values.get(0), referencePcrValue('sha256', unreleased));
    assert.notDeepEqual(result.pcrs.values.get(0), referencePcrValue('sha256', released.pcr0));
  });

  it('CVE-2024-29038: a forged TPMS_ATTEST the AK signed through a hash ticket is refused for its magic', async () => {
    // A restricted AK signs external data only with a TPM2_Hash ticket, which the TPM refuses for
    // data starting with TPM_GENERATED_VALUE. So a forgery that changes the magic gets signed:
    // here one that claims the released PCRs for TPM B, which booted something else.
    const nonce = sha256('nonce 7');
    const genuine = await quotePcrs(tpmB.tools, nonce, selection);
    const claimed = new Map([
      [0, referencePcrValue('sha256', released.pcr0)],
      [7, referencePcrValue('sha256', released.pcr7)],
    ]);
    const forgedAttest = new Uint8Array(genuine.attest);
    forgedAttest[3] = (forgedAttest[3] ?? 0) ^ 0x01; // 0xFF544346: not TPM_GENERATED_VALUE
    forgedAttest.set(
      createHash('sha256').update(claimed.get(0)!).update(claimed.get(7)!).digest(),
      forgedAttest.length - 32,
    );
    const signature = await signThroughHashTicket(tpmB.tools, forgedAttest);
    const forged: TpmQuoteEvidence = {
      ...genuine,
      attest: forgedAttest,
      signature,
      pcrs: { alg: 'sha256', values: claimed },
    };
    refusedWith('QUOTE_MAGIC_INVALID', () => verifyTpmQuote(forged, nonce, tpmB.keys));
    // The TPM itself refuses the ticket for a message that does start with TPM_GENERATED_VALUE.
    await assert.rejects(
      signThroughHashTicket(tpmB.tools, genuine.attest),
      (e: unknown) => (e as { code?: string }).code === 'TPM_COMMAND_FAILED',
    );
    // tpm2-tools before 5.7 does not check the magic (the CVE): its verdict is recorded, not relied on.
    const version = /version="([\d.]+)"/.exec(await tpmB.tools.run('tpm2_checkquote', ['--version']))?.[1] ?? '?';
    const accepted = await checkquote(tpmB.tools, tpmB.keys.akPublic, forged, nonce);
    const [major = 0, minor = 0] = version.split('.').map(Number);
    if (major === 5 && minor < 7)
      assert.equal(accepted, true, `tpm2_checkquote ${version} is expected to carry CVE-2024-29038`);
    else assert.equal(accepted, false);
  });
});
