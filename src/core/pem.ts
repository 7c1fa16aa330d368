/** The labels trustplane writes (RFC 7468 §5–§7, §13). */
export type PemLabel = 'CERTIFICATE' | 'X509 CRL' | 'CERTIFICATE REQUEST' | 'PUBLIC KEY';

/** RFC 7468 textual encoding: base64 in 64-character lines between the label's lines. */
export function toPem(der: Uint8Array, label: PemLabel): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
