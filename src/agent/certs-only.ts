import { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { AgentError } from './agent-error.ts';
import { toPem } from '../core/pem.ts';

/**
 * RFC 7030 §4.1.3 / §4.2.3: a "certs-only" CMS SignedData (RFC 5652 §5.1, no signers), sent
 * base64 (RFC 8951: whitespace allowed). Attacker-controlled input: bounded by the transport,
 * then parsed; each certificate must also parse as X.509 for Node before anyone trusts it.
 * Returns the certificates as PEM, in the order the server sent them.
 *
 * asn1js reads the structure and the certificates are taken as the bytes they were sent as:
 * building pkijs objects for them (and encoding them again) cost ~2 ms per answer, most of a
 * fleet simulator's time.
 */
export function certificatesFromCertsOnly(untrustedBase64: string): string[] {
  const text = untrustedBase64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) malformed('the answer is not base64');
  const der = new Uint8Array(Buffer.from(text, 'base64'));
  const parsed = asn1js.fromBER(der);
  if (parsed.offset === -1 || parsed.offset !== der.length) malformed('the answer is not one DER value');
  // ContentInfo ::= SEQUENCE { contentType OBJECT IDENTIFIER, content [0] EXPLICIT ANY }
  const [contentType, content] = children(parsed.result, 'ContentInfo');
  if (!(contentType instanceof asn1js.ObjectIdentifier) || contentType.valueBlock.toString() !== pkijs.id_ContentType_SignedData) malformed('the answer is not a CMS SignedData');
  if (!isContext(content, 0)) malformed('the ContentInfo has no content');
  // SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo, certificates [0] IMPLICIT OPTIONAL, crls [1] OPTIONAL, signerInfos }
  const [signedData] = children(content, 'content');
  const certificates = children(signedData, 'SignedData').find((b) => isContext(b, 0));
  const pems = (certificates ? children(certificates, 'certificates') : []).map((c) => {
    const certDer = new Uint8Array(c.valueBeforeDecodeView);
    try {
      new X509Certificate(certDer);
    } catch (cause) {
      malformed('a certificate in the answer does not parse', cause);
    }
    return toPem(certDer, 'CERTIFICATE');
  });
  if (pems.length === 0) malformed('the answer holds no certificate');
  return pems;
}

function children(block: asn1js.AsnType | undefined, what: string): asn1js.BaseBlock[] {
  const value = (block as { valueBlock?: { value?: unknown } } | undefined)?.valueBlock?.value;
  if (!(block instanceof asn1js.BaseBlock) || !block.idBlock.isConstructed || !Array.isArray(value)) malformed(`the ${what} is not a constructed value`);
  return value as asn1js.BaseBlock[];
}

function isContext(block: asn1js.BaseBlock | undefined, tag: number): block is asn1js.BaseBlock {
  return block !== undefined && block.idBlock.tagClass === 3 && block.idBlock.tagNumber === tag && block.idBlock.isConstructed;
}

function malformed(message: string, cause?: unknown): never {
  throw new AgentError('refused', 'EST_ANSWER_MALFORMED', message, cause === undefined ? {} : { cause });
}
