/** RFC 9054 §2 COSE_Hash_V: a digest with its algorithm. */
export interface ClaimDigest {
  readonly alg: 'sha256' | 'sha384' | 'sha512';
  readonly value: Uint8Array;
}

/**
 * What a device without a TPM claims about itself over a nonce (docs/design/attestation.md,
 * "Claims token"). The verifier trusts these claims only as far as it trusts the device key:
 * they are a software attester's statement, weaker than a TPM quote, and appraised as such.
 */
export interface DeviceClaims {
  /** EAT eat_nonce (10): the verifier's challenge. */
  readonly nonce: Uint8Array;
  /** EAT ueid (256), when the device has one. */
  readonly ueid?: Uint8Array;
  /** trustplane's device serial (private claim -65537). */
  readonly serial: string;
  /** EAT swversion (271): the running firmware's version. */
  readonly version: string;
  /** The running firmware image's digest (private claim -65538). */
  readonly firmwareDigest: ClaimDigest;
  /** The anti-rollback counter the running firmware carries (private claim -65539). */
  readonly securityVersion: number;
  /** Digest of the active configuration (private claim -65540). */
  readonly configurationDigest: ClaimDigest;
  /** Digests of each boot stage, in boot order (private claim -65541). */
  readonly bootMeasurements: readonly ClaimDigest[];
}
