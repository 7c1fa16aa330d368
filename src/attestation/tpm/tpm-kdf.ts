import { createHash, createHmac } from 'node:crypto';
import type { TpmHashName } from './tpm-constants.ts';

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

/** A label as the TPM uses it: its ASCII bytes and the terminating zero (Part 1 §11.4.10.2). */
function label(text: string): Uint8Array {
  return Uint8Array.of(...Buffer.from(text, 'ascii'), 0);
}

/**
 * TPM 2.0 Part 1 §11.4.10.2 KDFa: SP 800-108 counter mode with HMAC,
 * K(i) = HMAC(key, [i]32 || Label || 0x00 || Context U || Context V || [bits]32).
 */
export function kdfa(
  hash: TpmHashName,
  key: Uint8Array,
  text: string,
  contextU: Uint8Array,
  contextV: Uint8Array,
  bits: number,
): Uint8Array {
  const bytes = bits / 8;
  const out: Buffer[] = [];
  let length = 0;
  for (let i = 1; length < bytes; i++) {
    const k = createHmac(hash, key)
      .update(u32(i))
      .update(label(text))
      .update(contextU)
      .update(contextV)
      .update(u32(bits))
      .digest();
    out.push(k);
    length += k.length;
  }
  return new Uint8Array(Buffer.concat(out).subarray(0, bytes));
}

/**
 * Part 1 §11.4.10.3 KDFe: SP 800-56A concatenation KDF,
 * K(i) = H([i]32 || Z || Label || 0x00 || PartyUInfo || PartyVInfo).
 */
export function kdfe(
  hash: TpmHashName,
  z: Uint8Array,
  text: string,
  partyU: Uint8Array,
  partyV: Uint8Array,
  bits: number,
): Uint8Array {
  const bytes = bits / 8;
  const out: Buffer[] = [];
  let length = 0;
  for (let i = 1; length < bytes; i++) {
    const k = createHash(hash).update(u32(i)).update(z).update(label(text)).update(partyU).update(partyV).digest();
    out.push(k);
    length += k.length;
  }
  return new Uint8Array(Buffer.concat(out).subarray(0, bytes));
}
