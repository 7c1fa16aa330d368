export { compareOptionNames, type SshCertificateOption } from './certificate-options.ts';
export {
  formatSshCertificate,
  MAX_PRINCIPALS,
  parseSshCertificate,
  parseSshCertificateBlob,
  signSshCertificate,
  verifySshCertificate,
  type ParsedSshCertificate,
  type SshCertificateFields,
} from './certificate.ts';
export { encodeKrl, KRL_MAGIC, type KrlInput } from './krl.ts';
export { krlRevokes, parseKrl, type ParsedKrl, type SerialRange } from './krl-parse.ts';
export {
  formatSshPublicKey,
  keyObjectFromSshPublicKey,
  parseSshPublicKey,
  parseSshPublicKeyBlob,
  sameSshKey,
  sshFingerprint,
  sshKeyTypes,
  sshPublicKeyFromKeyObject,
  sshPublicKeyFromSpki,
  type SshKeyType,
  type SshPublicKey,
} from './public-key.ts';
export { isSshCaAlgorithm, signSsh, verifySsh } from './ssh-signature.ts';
