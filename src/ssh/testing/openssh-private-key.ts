import { createPublicKey, type KeyObject } from 'node:crypto';
import { sshPublicKeyFromKeyObject } from '../public-key.ts';
import { SshWriter } from '../ssh-wire.ts';

/**
 * Test helper: a Node private key in OpenSSH's own unencrypted private key format
 * (PROTOCOL.key, "openssh-key-v1"), so `ssh-keygen -s` signs with the very key our code signs
 * with. OpenSSH 9.2 reads ECDSA and RSA keys as PKCS#8 PEM but not Ed25519 ones. Never used
 * outside tests: production keys stay in their key store.
 */
export function opensshPrivateKey(privateKey: KeyObject, comment = 'test'): string {
  const publicKey = sshPublicKeyFromKeyObject(createPublicKey(privateKey));
  const jwk = privateKey.export({ format: 'jwk' });
  const b = (s: string | undefined): Uint8Array => new Uint8Array(Buffer.from(s ?? '', 'base64url'));
  const priv = new SshWriter().uint32(0x5ca1ab1e).uint32(0x5ca1ab1e);
  if (privateKey.asymmetricKeyType === 'ed25519') {
    const pk = b(jwk.x);
    priv.string('ssh-ed25519').string(pk).string(Buffer.concat([b(jwk.d), pk]));
  } else if (privateKey.asymmetricKeyType === 'ec') {
    // the public fields as in the blob (curve, point), then the private scalar as an mpint
    priv.raw(publicKey.blob).mpint(b(jwk.d));
  } else {
    throw new Error(`no OpenSSH private key form here for ${privateKey.asymmetricKeyType}`);
  }
  priv.string(comment);
  for (let pad = 1; priv.length % 8 !== 0; pad++) priv.byte(pad);
  const body = new SshWriter()
    .raw(new TextEncoder().encode('openssh-key-v1\0'))
    .string('none')
    .string('none')
    .string('')
    .uint32(1)
    .string(publicKey.blob)
    .string(priv.bytes())
    .bytes();
  const base64 = Buffer.from(body).toString('base64').replace(/.{70}/g, '$&\n');
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${base64.trimEnd()}\n-----END OPENSSH PRIVATE KEY-----\n`;
}
