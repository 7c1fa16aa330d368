import { TrustplaneError } from '../../core/errors.ts';
import { decodeProtectedHeader, headerLabel, type CoseSign, type CoseSignature } from './cose-sign.ts';
import { BOOT_MANIFEST_CONTENT_TYPE } from './manifest-algorithms.ts';

/**
 * The headers a boot manifest may carry, and nothing else: every header a verifier does not
 * understand is refused outright, which is stricter than RFC 9052 §3.1's "crit" rule and leaves
 * a bootloader nothing to skip.
 */

function malformed(message: string): TrustplaneError {
  return new TrustplaneError('MANIFEST_MALFORMED', message);
}

function onlyLabels(map: ReadonlyMap<unknown, unknown>, labels: readonly number[], what: string): void {
  if (map.size !== labels.length || !labels.every((l) => map.has(l)))
    throw malformed(`the ${what} must hold exactly labels ${labels.join(', ') || '(none)'}`);
}

/** The body's protected header is { 3: content type } and names this format; the unprotected one is empty. */
export function checkBodyHeaders(message: CoseSign): void {
  const headers = decodeProtectedHeader(message.bodyProtected, 'body protected header');
  onlyLabels(headers, [headerLabel.contentType], 'body protected header');
  // RFC 9052 §3.1: content type tells the verifier how to read the payload; another format is not a boot manifest.
  if (headers.get(headerLabel.contentType) !== BOOT_MANIFEST_CONTENT_TYPE)
    throw malformed('the content type is not a trustplane boot manifest');
  onlyLabels(message.bodyUnprotected, [], 'body unprotected header');
}

export interface SignatureHeaders {
  readonly alg: number;
  readonly kid: Uint8Array;
}

/** A signature's protected header is { 1: alg, 4: kid }; its unprotected header is empty. */
export function readSignatureHeaders(signature: CoseSignature): SignatureHeaders {
  const headers = decodeProtectedHeader(signature.protected, 'signature protected header');
  onlyLabels(headers, [headerLabel.alg, headerLabel.kid], 'signature protected header');
  onlyLabels(signature.unprotected, [], 'signature unprotected header');
  const alg = headers.get(headerLabel.alg);
  const kid = headers.get(headerLabel.kid);
  if (typeof alg !== 'number' || !(kid instanceof Uint8Array))
    throw malformed('a signature header has an alg that is not an integer or a kid that is not a byte string');
  return { alg, kid: new Uint8Array(kid) };
}
