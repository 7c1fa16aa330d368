// The JWK provisioner's side of step-ca's one-time tokens, for bench/peers/step-ca.ts: the key
// pair (the public JWK goes into ca.json, the private key stays in the bench) and the ES256 JWTs
// that `POST /1.0/sign` takes as `ott`.
import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

const base64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** RFC 7638 §3.2: the thumbprint hashes the required members of an EC key, in lexicographic order. */
function jwkThumbprint(jwk: { crv: string; kty: string; x: string; y: string }): string {
  return base64url(
    createHash('sha256')
      .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }))
      .digest(),
  );
}

/** The JWK provisioner's key pair: the public JWK goes into ca.json, the private key mints tokens. */
export function provisionerKey(): { privateKey: KeyObject; publicJwk: Record<string, string>; kid: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  if (kty === undefined || crv === undefined || x === undefined || y === undefined)
    throw new Error('EC JWK without kty/crv/x/y');
  const kid = jwkThumbprint({ crv, kty, x, y });
  return { privateKey, kid, publicJwk: { kty, crv, x, y, kid, use: 'sig', alg: 'ES256' } };
}

/** An ES256 JWS compact serialisation (RFC 7515 §7.1; RFC 7518 §3.4: r || s, not DER). */
function es256Jwt(header: object, claims: object, key: KeyObject): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${input}.${base64url(sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }))}`;
}

/**
 * A one-time token for `POST /1.0/sign` of a CSR whose CN is `commonName`: `sub` and the only SAN
 * are the CN (step-ca checks both against the CSR), `jti` is unique (step-ca stores it, refusing a
 * second use), valid for an hour so that tokens minted before a long run stay valid during it.
 */
export function signToken(
  provisioner: { name: string; kid: string; privateKey: KeyObject },
  audience: string,
  commonName: string,
): string {
  // step-ca refuses tokens issued before it started (authority.authorizeToken): at the earliest,
  // the next whole second, within the one minute of leeway it allows.
  const now = Math.ceil(Date.now() / 1000);
  const claims = {
    iss: provisioner.name,
    aud: audience,
    sub: commonName,
    sans: [commonName],
    iat: now,
    nbf: now,
    exp: now + 3600,
    jti: randomUUID(),
  };
  return es256Jwt({ alg: 'ES256', kid: provisioner.kid, typ: 'JWT' }, claims, provisioner.privateKey);
}
