/**
 * The one catalog of error codes. Each code has its HTTP status and a safe, fixed title;
 * adapters translate codes into their protocol's own form (problem+json, OCSP status, exit code).
 * docs/reference/errors.md is checked against this table by a test.
 */
export const errorCatalog = {
  // request shape
  BAD_REQUEST: { status: 400, title: 'The request is malformed' },
  VALIDATION_FAILED: { status: 400, title: 'A field of the request is invalid' },
  BODY_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The content type is not supported' },
  NOT_FOUND: { status: 404, title: 'No such resource' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'The resource does not take this method; see Allow' },
  REQUEST_HEADERS_TOO_LARGE: { status: 431, title: 'The request line or headers are too large' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request was not received in time' },
  // authentication and authorisation
  TOKEN_MISSING: { status: 401, title: 'A bearer token is required' },
  TOKEN_INVALID: { status: 401, title: 'The bearer token is not valid' },
  TOKEN_EXPIRED: { status: 401, title: 'The bearer token has expired' },
  TOKEN_REVOKED: { status: 401, title: 'The bearer token has been revoked' },
  TOKEN_TTL_TOO_LONG: { status: 422, title: 'The token lifetime exceeds the policy maximum' },
  FORBIDDEN: { status: 403, title: 'The token does not grant this action' },
  // products
  PRODUCT_NOT_FOUND: { status: 404, title: 'No such product' },
  PRODUCT_EXISTS: { status: 409, title: 'A product with this SKU already exists' },
  PRODUCT_SUPPORT_ENDED: { status: 409, title: "The product's support period has ended" },
  // devices and lifecycle
  DEVICE_NOT_FOUND: { status: 404, title: 'No such device' },
  DEVICE_EXISTS: { status: 409, title: 'A device with this serial already exists for the product' },
  DEVICE_ALREADY_ENROLLED: { status: 409, title: 'The device is already enrolled; renew instead' },
  DEVICE_NOT_ACTIVE: { status: 409, title: 'The device is not active' },
  DEVICE_DECOMMISSIONED: { status: 409, title: 'The device is decommissioned' },
  ILLEGAL_TRANSITION: { status: 409, title: 'The lifecycle does not allow this transition' },
  REPROVISION_NOT_AUTHORISED: { status: 403, title: "A revoked device enrolls again only by the path of an operator's re-provisioning decision" },
  // CSR and keys
  CSR_MALFORMED: { status: 400, title: 'The CSR cannot be parsed' },
  CSR_SIGNATURE_INVALID: { status: 400, title: 'The CSR signature does not verify (no proof of possession)' },
  CSR_ALGORITHM_UNSUPPORTED: { status: 422, title: 'The CSR key or signature algorithm is not supported' },
  KEY_ALGORITHM_MISMATCH: { status: 422, title: "The CSR key algorithm does not match the product's" },
  KEY_BOUND_TO_OTHER_DEVICE: { status: 409, title: 'The public key is already bound to another device' },
  KEY_REUSE_AFTER_REVOCATION: { status: 409, title: 'A revoked device must be re-provisioned with a new key' },
  // enrollment (EST, factory batches, bootstrap CAs)
  EST_AUTHENTICATION_REQUIRED: { status: 401, title: 'EST needs a one-time token (HTTP Basic) or a client certificate' },
  ENROLLMENT_TOKEN_INVALID: { status: 401, title: 'The enrollment token is not valid for this device' },
  ENROLLMENT_TOKEN_USED: { status: 401, title: 'The enrollment token has already been used' },
  ENROLLMENT_TOKEN_EXPIRED: { status: 401, title: 'The enrollment token has expired' },
  BATCH_NOT_FOUND: { status: 404, title: 'No such enrollment batch' },
  BATCH_CLOSED: { status: 403, title: 'The enrollment batch is closed' },
  BATCH_NOT_YET_VALID: { status: 403, title: "The enrollment batch's validity window has not begun" },
  BATCH_SERIAL_UNAVAILABLE: { status: 409, title: 'A serial of the batch cannot be enrolled through it' },
  CERTIFICATE_MALFORMED: { status: 400, title: 'The certificate cannot be parsed' },
  BOOTSTRAP_CA_INVALID: { status: 422, title: 'The certificate cannot serve as a bootstrap CA' },
  BOOTSTRAP_CA_EXISTS: { status: 409, title: 'This bootstrap CA is already registered for the product' },
  CLIENT_CERTIFICATE_REQUIRED: { status: 401, title: 'A TLS client certificate is required' },
  CLIENT_CERTIFICATE_UNTRUSTED: { status: 401, title: 'The TLS client certificate is not from a CA trusted for this request' },
  CLIENT_CERTIFICATE_EXPIRED: { status: 401, title: 'The TLS client certificate has expired (beyond any grace period)' },
  CLIENT_CERTIFICATE_REVOKED: { status: 401, title: 'The TLS client certificate is revoked, on hold or superseded' },
  BOOTSTRAP_SERIAL_MISSING: { status: 422, title: 'The bootstrap certificate names no device serialNumber' },
  SERVER_KEYGEN_NOT_ALLOWED: { status: 403, title: 'The product does not allow server-side key generation' },
  CSR_ATTRIBUTES_UNSUPPORTED: { status: 422, title: 'The CSR attributes name no key algorithm trustplane supports' },
  // revocation
  REVOCATION_REASON_INVALID: { status: 400, title: 'Unknown RFC 5280 revocation reason' },
  OCSP_MALFORMED_REQUEST: { status: 400, title: 'The OCSP request cannot be parsed' },
  // trust ledger (RFC 9162, C2SP tlog-checkpoint, signed-note)
  LEDGER_RANGE_INVALID: { status: 400, title: 'The index or tree size is outside the log' },
  CHECKPOINT_MALFORMED: { status: 400, title: 'The checkpoint cannot be parsed' },
  CHECKPOINT_ORIGIN_MISMATCH: { status: 422, title: 'The checkpoint is not from the expected log' },
  NOTE_MALFORMED: { status: 400, title: 'The signed note cannot be parsed' },
  NOTE_KEY_MALFORMED: { status: 400, title: 'The note verifier key cannot be parsed' },
  NOTE_SIGNATURE_INVALID: { status: 422, title: 'The note carries no valid signature by the expected key' },
  PROOF_INVALID: { status: 422, title: 'The Merkle proof does not verify' },
  LEDGER_INCONSISTENT: { status: 500, title: 'The ledger store is inconsistent; run ledger verify' },
  // updates: TUF
  TUF_METADATA_MALFORMED: { status: 400, title: 'The TUF metadata cannot be parsed' },
  TUF_KEY_UNSUPPORTED: { status: 422, title: 'TUF keys must be Ed25519 or ECDSA P-256' },
  TUF_SIGNATURE_INVALID: { status: 422, title: 'The signature does not verify over the canonical TUF metadata' },
  TUF_KEY_NOT_AUTHORISED: { status: 403, title: "The key is not one of the role's keys" },
  TUF_THRESHOLD_NOT_MET: { status: 409, title: "The metadata lacks its role's threshold of valid signatures" },
  TUF_VERSION_CONFLICT: { status: 409, title: 'The metadata version does not follow the current one' },
  TUF_TARGET_EXISTS: { status: 409, title: 'A target of this name is already published' },
  TUF_TARGET_NOT_FOUND: { status: 404, title: 'No such target in the targets metadata' },
  TUF_NOT_INITIALISED: { status: 409, title: 'The product has no published TUF root yet' },
  TUF_ROOT_NOT_PROPOSED: { status: 409, title: 'This root version is not awaiting signatures' },
  // updates: releases
  BLOB_TOO_LARGE: { status: 413, title: 'The upload exceeds the size limit' },
  BLOB_NOT_FOUND: { status: 422, title: 'No uploaded blob has this SHA-256' },
  BLOB_RANGE_INVALID: { status: 416, title: 'The byte range is outside the blob' },
  SBOM_TOO_LARGE: { status: 413, title: 'The SBOM exceeds the size limit' },
  SBOM_MALFORMED: { status: 400, title: 'The SBOM is not well-formed JSON' },
  SBOM_VERSION_UNSUPPORTED: { status: 422, title: 'The SBOM is not CycloneDX 1.5 or 1.6' },
  SBOM_INVALID: { status: 422, title: 'The SBOM does not conform to the CycloneDX schema' },
  // updates: boot manifest
  MANIFEST_MALFORMED: { status: 400, title: 'The boot manifest cannot be parsed' },
  MANIFEST_SIGNATURE_INVALID: { status: 422, title: 'The boot manifest does not carry valid Ed25519 and ML-DSA-65 signatures by the expected keys' },
  MANIFEST_PRODUCT_MISMATCH: { status: 422, title: 'The boot manifest is for another product' },
  MANIFEST_HARDWARE_MISMATCH: { status: 422, title: "The boot manifest does not list the device's hardware revision" },
  MANIFEST_ROLLBACK: { status: 422, title: "The boot manifest's security version is below the installed one" },
  MANIFEST_KEY_INVALID: { status: 500, title: 'The boot manifest keys are not the Ed25519 and ML-DSA-65 keys it needs' },
  // updates: release records
  RELEASE_NOT_FOUND: { status: 404, title: 'No such release' },
  RELEASE_EXISTS: { status: 409, title: 'The product already has a different release of this kind and version' },
  RELEASE_RETAINED: { status: 409, title: 'The security release must stay available until its retention date (CRA Art 13(9))' },
  SBOM_REQUIRED: { status: 422, title: 'A firmware release needs its SBOM' },
  RELEASE_NOT_AWAITING_APPROVAL: { status: 409, title: 'The release is not awaiting approval' },
  RELEASE_APPROVAL_STALE: { status: 409, title: 'The targets to approve changed since they were fetched; fetch the approval again' },
  RELEASE_MANAGER_EXPIRED: { status: 403, title: "The release manager's approvals no longer count (expired)" },
  RELEASE_IN_REPOSITORY: { status: 409, title: "A published release is in the product's TUF repository and cannot be deleted" },
  RELEASE_NOT_PUBLISHED: { status: 409, title: 'Only a published release rolls out' },
  // updates: rollouts
  ROLLOUT_NOT_FOUND: { status: 404, title: 'No such rollout' },
  ROLLOUT_COHORT_EMPTY: { status: 422, title: 'The rollout would reach no device' },
  ROLLOUT_STATE_CONFLICT: { status: 409, title: "The rollout's state does not allow this" },
  ROLLOUT_STAGE_MISMATCH: { status: 409, title: 'The rollout is not at the stage the request expects to leave' },
  // service
  SERVICE_OVERLOADED: { status: 503, title: 'The service is overloaded; retry later' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalog;
