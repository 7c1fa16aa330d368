import { X509Certificate } from 'node:crypto';
import * as pkijs from 'pkijs';
import { AgentError } from './agent-error.ts';
import { pemBlock } from './csr-request.ts';

/**
 * RFC 7030 §4.1.3 / §4.2.3: a "certs-only" CMS SignedData (RFC 5652 §5.1, no signers), sent
 * base64 (RFC 8951: whitespace allowed). Attacker-controlled input: bounded by the transport,
 * then parsed; each certificate must also parse as X.509 for Node before anyone trusts it.
 * Returns the certificates as PEM, in the order the server sent them.
 */
export function certificatesFromCertsOnly(untrustedBase64: string): string[] {
  const text = untrustedBase64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) malformed('the answer is not base64');
  const der = Buffer.from(text, 'base64');
  let certificates: pkijs.SignedData['certificates'];
  try {
    const info = pkijs.ContentInfo.fromBER(der);
    if (info.contentType !== pkijs.ContentInfo.SIGNED_DATA) malformed('the answer is not a CMS SignedData');
    certificates = new pkijs.SignedData({ schema: info.content }).certificates;
  } catch (cause) {
    if (cause instanceof AgentError) throw cause;
    malformed('the answer is not a CMS SignedData', cause);
  }
  const pems = (certificates ?? []).map((c) => {
    if (!(c instanceof pkijs.Certificate)) malformed('the answer holds something other than an X.509 certificate');
    const certDer = new Uint8Array(c.toSchema().toBER());
    try {
      new X509Certificate(certDer);
    } catch (cause) {
      malformed('a certificate in the answer does not parse', cause);
    }
    return pemBlock(certDer, 'CERTIFICATE');
  });
  if (pems.length === 0) malformed('the answer holds no certificate');
  return pems;
}

function malformed(message: string, cause?: unknown): never {
  throw new AgentError('refused', 'EST_ANSWER_MALFORMED', message, cause === undefined ? {} : { cause });
}
