import { randomBytes } from 'node:crypto';

/** Randomness comes in through this port (DESIGN rule 6). */
export interface Random {
  bytes(n: number): Uint8Array;
}

export const systemRandom: Random = { bytes: (n) => new Uint8Array(randomBytes(n)) };

/**
 * RFC 5280 §4.1.2.2: a positive serial of at most 20 octets. 128 random bits with the top bit
 * cleared (so DER needs no leading zero and the value stays positive) and never zero.
 */
export function randomCertificateSerial(random: Random): Uint8Array {
  for (;;) {
    const b = random.bytes(16);
    b[0] = (b[0] ?? 0) & 0x7f;
    if ((b[0] ?? 0) !== 0 || b.some((x) => x !== 0)) {
      if ((b[0] ?? 0) === 0) b[0] = 0x01; // keep it 16 octets long: a fixed-width hex id
      return b;
    }
  }
}
