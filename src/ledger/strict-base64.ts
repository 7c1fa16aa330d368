/**
 * Standard base64 (RFC 4648 §4) as the C2SP specs use it, decoded strictly: Node's decoder skips
 * unknown characters and accepts URL-safe letters and stray padding bits, so one encoded value
 * could be written many ways. Here exactly one spelling decodes; anything else is undefined.
 */
const alphabet = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function decodeBase64Strict(s: string): Uint8Array | undefined {
  if (!alphabet.test(s)) return undefined;
  const bytes = Buffer.from(s, 'base64');
  // RFC 4648 §3.5: canonical encodings have zero pad bits; re-encoding must give the input back.
  if (bytes.toString('base64') !== s) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
}
