
/** HTTP headers of one answer, lower-case names as Fastify keeps them (written canonical on the wire). */
export type CacheHeaders = Record<string, string>;

/**
 * A CRL over HTTP (RFC 5280 §4.2.1.13). A cache in front of the CDP may keep it for at most
 * `maxAgeSeconds`, never past its nextUpdate, and must then ask again (`must-revalidate`): a CRL is
 * valid for hours, but a revocation made now must reach relying parties within minutes, and the
 * server answers the newest CRL at every request. No `Expires`: an HTTP/1.0 cache would read it
 * instead of max-age, and the only honest value would be nextUpdate.
 */
export function crlCacheHeaders(crl: { thisUpdate: Date; nextUpdate: Date }, now: Date, maxAgeSeconds: number): CacheHeaders {
  // The DER nextUpdate has whole seconds (RFC 5280 §5.1.2.5): count to it, not to the record's milliseconds.
  const maxAge = Math.max(0, Math.min(maxAgeSeconds, secondsUntil(wholeSeconds(crl.nextUpdate), now)));
  return { 'cache-control': `public, no-transform, must-revalidate, max-age=${maxAge}`, 'last-modified': crl.thisUpdate.toUTCString() };
}

/**
 * An OCSP answer over HTTP, as RFC 5019 §6.2 asks: Last-Modified = thisUpdate, Expires =
 * nextUpdate, ETag = hex SHA-1 of the OCSPResponse, and max-age reaching no later than nextUpdate.
 * The times are the signed answer's own (a pre-produced answer may be minutes old). An error
 * answer (RFC 6960 §2.3) and a nonce answer (made for one request) are not for caches.
 */
export function ocspCacheHeaders(answer: { cache?: { thisUpdate: Date; nextUpdate: Date; etag: string } }, now: Date): CacheHeaders {
  if (!answer.cache) return { 'cache-control': 'no-store' };
  const { thisUpdate, nextUpdate, etag } = answer.cache;
  return {
    'last-modified': thisUpdate.toUTCString(),
    expires: nextUpdate.toUTCString(),
    etag,
    'cache-control': `max-age=${Math.max(0, secondsUntil(nextUpdate, now))}, public, no-transform, must-revalidate`,
  };
}

function secondsUntil(when: Date, now: Date): number {
  return Math.floor((when.getTime() - now.getTime()) / 1000);
}

/** DER GeneralizedTime and HTTP-dates both drop fractions of a second (the responder truncates). */
function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}
