import { TrustplaneError } from '../core/errors.ts';
import { systemRandom, type Random } from '../core/random.ts';
import type { Signer } from '../crypto/signer.ts';
import { encodeBase64 } from '../ledger/strict-base64.ts';
import { decodeCertificateOptions, encodeCertificateOptions, type SshCertificateOption } from './certificate-options.ts';
import { keyFields, parseSshPublicKeyBlob, readKeyFields, splitKeyLine, sshKeyTypes, sshPublicKeyFromSpki, type SshKeyType, type SshPublicKey } from './public-key.ts';
import { signSsh, verifySsh } from './ssh-signature.ts';
import { MAX_UINT64, SshReader, SshWriter } from './ssh-wire.ts';

/**
 * OpenSSH certificates, PROTOCOL.certkeys (the v01 formats OpenSSH 5.6 and later read). The
 * shapes are the ones docs/design/ssh-contract.md fixes for the server's SSH CA.
 */
export interface SshCertificateFields {
  readonly kind: 'user' | 'host';
  /** the key being certified */
  readonly publicKey: SshPublicKey;
  /** uint64; the grant's serial for user certificates, never reused per CA, never 0 (a KRL cannot name 0) */
  readonly serial: bigint;
  readonly keyId: string;
  readonly principals: readonly string[];
  /** Rounded inwards to whole seconds: the certificate's window never exceeds the one asked for. */
  readonly validAfter: Date;
  readonly validBefore: Date;
  /** Valued critical options: `force-command`, `source-address`. */
  readonly criticalOptions?: Readonly<Record<string, string>>;
  /** Flag extensions: `permit-pty`, `permit-port-forwarding`, … */
  readonly extensions?: readonly string[];
}

/** What parseSshCertificate returns: the contract's fields, and what a verifier needs besides. */
export interface ParsedSshCertificate extends SshCertificateFields {
  readonly signatureKey: SshPublicKey;
  readonly nonce: Buffer;
  /** e.g. `ssh-ed25519-cert-v01@openssh.com` */
  readonly type: string;
  /** The window as the certificate states it (0xffffffffffffffff, "forever", has no Date). */
  readonly validAfterSeconds: bigint;
  readonly validBeforeSeconds: bigint;
  /** Every option as written, flags and values alike (criticalOptions and extensions simplify). */
  readonly optionList: { readonly critical: readonly SshCertificateOption[]; readonly extensions: readonly SshCertificateOption[] };
  readonly blob: Buffer;
  /** The part of the blob the signature covers (everything before the signature). */
  readonly signedBytes: Buffer;
  readonly signature: Buffer;
}

/** sshkey.h SSHKEY_CERT_MAX_PRINCIPALS: OpenSSH refuses certificates with more. */
export const MAX_PRINCIPALS = 256;
/** Attacker-controlled input: 256 principals of 255 bytes and a few options stay well below this. */
export const MAX_CERTIFICATE_LINE_BYTES = 128 * 1024;
const NONCE_BYTES = 32; // ssh-keygen's nonce size (sshkey.c sshkey_certify_custom)
const kindCodes = { user: 1, host: 2 } as const;

const certificateTypes: Record<SshKeyType, string> = {
  'ssh-ed25519': 'ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256': 'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384': 'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521': 'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'ssh-rsa': 'ssh-rsa-cert-v01@openssh.com',
  'sk-ssh-ed25519@openssh.com': 'sk-ssh-ed25519-cert-v01@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com': 'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
};
const keyTypeOfCertificateType = new Map(sshKeyTypes.map((t) => [certificateTypes[t], t]));

interface WireWindow {
  validAfter: bigint;
  validBefore: bigint;
}

/** Whole seconds inside [validAfter, validBefore]; refuses what OpenSSH would refuse or trustplane never issues. */
function checkFields(f: SshCertificateFields): WireWindow {
  const bad = (why: string): never => {
    throw new TrustplaneError('VALIDATION_FAILED', `SSH certificate: ${why}`);
  };
  if (!Object.hasOwn(certificateTypes, f.publicKey.type)) bad(`no certificate type for ${f.publicKey.type} keys`);
  if (f.serial < 0n || f.serial > MAX_UINT64) bad('the serial is not a uint64');
  if (f.keyId === '' || f.keyId.includes('\0')) bad('the key id is empty or holds a NUL');
  // An empty principal list means "any principal" to sshd: never issued here.
  if (f.principals.length === 0 || f.principals.length > MAX_PRINCIPALS) bad(`1 to ${MAX_PRINCIPALS} principals`);
  // A principal is one line of an AuthorizedPrincipalsFile: no blanks or control characters in it.
  if (f.principals.some((p) => !/^[^\s\p{Cc}]+$/u.test(p))) bad('a principal is empty or holds a blank or control character');
  const after = f.validAfter.getTime();
  const before = f.validBefore.getTime();
  if (!Number.isFinite(after) || !Number.isFinite(before) || after < 0) bad('the window is not a pair of times after 1970');
  const window = { validAfter: BigInt(Math.ceil(after / 1000)), validBefore: BigInt(Math.floor(before / 1000)) };
  // 0xffffffffffffffff means "forever" to OpenSSH: there is no standing access (DESIGN rule 3).
  if (window.validAfter >= window.validBefore) bad('the window is empty');
  return window;
}

function optionList(f: SshCertificateFields): { critical: SshCertificateOption[]; extensions: SshCertificateOption[] } {
  return {
    critical: Object.entries(f.criticalOptions ?? {}).map(([name, value]) => ({ name, value })),
    extensions: (f.extensions ?? []).map((name) => ({ name })),
  };
}

/** The bytes the CA signs: the certificate up to and including its signature key. */
export function encodeCertificateToBeSigned(f: SshCertificateFields, nonce: Uint8Array, signatureKey: SshPublicKey): Uint8Array {
  const window = checkFields(f);
  const options = optionList(f);
  const principals = new SshWriter();
  for (const p of f.principals) principals.string(p);
  return new SshWriter()
    .string(certificateTypes[f.publicKey.type as SshKeyType])
    .string(nonce)
    .raw(keyFields(f.publicKey))
    .uint64(f.serial)
    .uint32(kindCodes[f.kind])
    .string(f.keyId)
    .string(principals.bytes())
    .uint64(window.validAfter)
    .uint64(window.validBefore)
    .string(encodeCertificateOptions(options.critical, 'critical options'))
    .string(encodeCertificateOptions(options.extensions, 'extensions'))
    .string(new Uint8Array(0)) // reserved
    .string(signatureKey.blob)
    .bytes();
}

/**
 * Signs `fields` with the CA's `signer` (Ed25519, ECDSA P-256/P-384 or RSA) and returns the
 * certificate blob. `nonce` is for tests that reproduce a certificate byte for byte; otherwise
 * 32 random bytes.
 */
export async function signSshCertificate(fields: SshCertificateFields, ca: Signer, options: { random?: Random; nonce?: Uint8Array } = {}): Promise<Buffer> {
  const signatureKey = caKeyOf(ca);
  const nonce = options.nonce ?? (options.random ?? systemRandom).bytes(NONCE_BYTES);
  const signedBytes = encodeCertificateToBeSigned(fields, nonce, signatureKey);
  const signature = await signSsh(ca, signedBytes);
  return Buffer.from(new SshWriter().raw(signedBytes).string(signature).bytes());
}

/** A CA's SSH public key, made once per Signer (SPKI → SSH costs a key import; a CA signs thousands). */
const caKeys = new WeakMap<Signer, SshPublicKey>();
function caKeyOf(ca: Signer): SshPublicKey {
  let key = caKeys.get(ca);
  if (!key) caKeys.set(ca, (key = sshPublicKeyFromSpki(ca.spki)));
  return key;
}

const toDate = (seconds: bigint): Date => new Date(seconds > 8_640_000_000_000n ? 8.64e15 : Number(seconds) * 1000);

/** A certificate blob (attacker-controlled), parsed and checked for form; the signature is checked by verifySshCertificate. */
export function parseSshCertificateBlob(bytes: Uint8Array): ParsedSshCertificate {
  const blob = Buffer.from(bytes);
  const r = new SshReader(blob, 'SSH_CERTIFICATE_MALFORMED');
  const type = r.text('certificate type');
  const keyType = keyTypeOfCertificateType.get(type) ?? r.fail(`unsupported certificate type ${type.slice(0, 64)}`);
  const nonce = Buffer.from(r.string('nonce'));
  const fieldsStart = r.offset;
  readKeyFields(r, keyType);
  const publicKey = parseSshPublicKeyBlob(new SshWriter().string(keyType).raw(blob.subarray(fieldsStart, r.offset)).bytes());
  const serial = r.uint64();
  const kindCode = r.uint32();
  const kind = kindCode === kindCodes.user ? 'user' : kindCode === kindCodes.host ? 'host' : r.fail('neither a user nor a host certificate');
  const keyId = r.text('key id');
  const principals: string[] = [];
  const p = new SshReader(r.string('principals'), 'SSH_CERTIFICATE_MALFORMED');
  while (p.remaining > 0) {
    if (principals.length === MAX_PRINCIPALS) p.fail(`more than ${MAX_PRINCIPALS} principals`);
    principals.push(p.text('principal'));
  }
  const validAfterSeconds = r.uint64();
  const validBeforeSeconds = r.uint64();
  const critical = decodeCertificateOptions(r.string('critical options'), 'critical option');
  const extensions = decodeCertificateOptions(r.string('extensions'), 'extension');
  r.string('reserved');
  const signatureKey = parseCaKey(r.string('signature key'));
  const signedBytes = blob.subarray(0, r.offset);
  const signature = Buffer.from(r.string('signature'));
  r.end('certificate');
  return {
    kind,
    publicKey,
    serial,
    keyId,
    principals,
    validAfter: toDate(validAfterSeconds),
    validBefore: toDate(validBeforeSeconds),
    criticalOptions: Object.fromEntries(critical.map((o) => [o.name, o.value ?? ''])),
    extensions: extensions.map((o) => o.name),
    signatureKey,
    nonce,
    type,
    validAfterSeconds,
    validBeforeSeconds,
    optionList: { critical, extensions },
    blob,
    signedBytes,
    signature,
  };
}

function parseCaKey(blob: Uint8Array): SshPublicKey {
  try {
    return parseSshPublicKeyBlob(blob);
  } catch (e) {
    throw new TrustplaneError('SSH_CERTIFICATE_MALFORMED', 'The signature key is not a public key trustplane reads', { cause: e });
  }
}

/**
 * A certificate: its `type base64 [comment]` line (as `ssh-keygen -s` writes `…-cert.pub`), as
 * text or as the file's bytes, or its blob as signSshCertificate returns it (a blob starts with a
 * zero byte, a line never does). Attacker-controlled.
 */
export function parseSshCertificate(line: string | Buffer): ParsedSshCertificate {
  if (typeof line !== 'string' && line[0] === 0) return parseSshCertificateBlob(line);
  const text = typeof line === 'string' ? line : line.toString('utf8');
  const { type, blob } = splitKeyLine(text, 'SSH_CERTIFICATE_MALFORMED', MAX_CERTIFICATE_LINE_BYTES);
  const cert = parseSshCertificateBlob(blob);
  if (cert.type !== type) throw new TrustplaneError('SSH_CERTIFICATE_MALFORMED', 'The type named on the line is not the blob’s');
  return cert;
}

/** `<type>-cert-v01@openssh.com AAAA… comment`, one line, no newline. */
export function formatSshCertificate(blob: Buffer, comment?: string): string {
  const type = new SshReader(blob, 'SSH_CERTIFICATE_MALFORMED').text('certificate type');
  return `${type} ${encodeBase64(blob)}${comment ? ` ${comment}` : ''}`;
}

/** Whether the certificate's signature is its signature key's over its signed bytes. */
export function verifySshCertificate(cert: Pick<ParsedSshCertificate, 'signatureKey' | 'signature' | 'signedBytes'>): boolean {
  return verifySsh(cert.signatureKey, cert.signature, cert.signedBytes);
}
