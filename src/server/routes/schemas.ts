/** JSON Schemas of the /v1 API: validation on the way in, the OpenAPI document on the way out. */
import { roles } from '../../core/roles.ts';
export const problem = {
  type: 'object',
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' }, detail: { type: 'string' } },
  required: ['title', 'status', 'code'],
} as const;

// Path segments are attacker-controlled: the same alphabets as SKU_PATTERN / DEVICE_SERIAL_PATTERN,
// so a NUL byte or other control character never reaches a query.
const sku = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } as const;
const serial = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } as const;
export const skuParams = { type: 'object', properties: { sku }, required: ['sku'] } as const;
export const deviceParams = { type: 'object', properties: { sku, serial }, required: ['sku', 'serial'] } as const;
export const caParams = { type: 'object', properties: { caId: { type: 'string', pattern: '^ca_[0-9a-f]{20}$' } }, required: ['caId'] } as const;

export const createProductBody = {
  type: 'object',
  additionalProperties: false,
  required: ['sku', 'name', 'craClass', 'supportUntil'],
  properties: {
    sku: { type: 'string', maxLength: 64 },
    name: { type: 'string', maxLength: 200 },
    craClass: { type: 'string', enum: ['default', 'important-1', 'important-2', 'critical'] },
    supportUntil: { type: 'string', format: 'date' },
    keyAlgorithm: { type: 'string', enum: ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-3072', 'ml-dsa-65'] },
    certificateValidityDays: { type: 'integer', minimum: 1, maximum: 3650 },
    renewalWindowDays: { type: 'integer', minimum: 1, maximum: 3649 },
    serverKeygen: { type: 'boolean', description: 'EST serverkeygen allowed (RFC 7030 §4.4)' },
    reenrollGraceDays: { type: 'integer', minimum: 0, maximum: 90, description: 'days after expiry a certificate may still re-enroll itself' },
    owner: { type: 'string', maxLength: 200 },
  },
} as const;

export const registerDeviceBody = {
  type: 'object',
  additionalProperties: false,
  required: ['serial'],
  properties: { serial: { type: 'string', maxLength: 64 }, hardwareId: { type: 'string', maxLength: 128 }, tags: { type: 'array', maxItems: 32, items: { type: 'string', maxLength: 64 } } },
} as const;

export const importDevicesBody = {
  type: 'object',
  additionalProperties: false,
  required: ['devices'],
  properties: { devices: { type: 'array', minItems: 1, maxItems: 1000, items: registerDeviceBody } },
} as const;

export const csrBody = {
  type: 'object',
  additionalProperties: false,
  required: ['csr'],
  properties: { csr: { type: 'string', maxLength: 32768, description: 'PKCS#10 request, PEM' } },
} as const;

export const revokeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { reason: { type: 'string', description: 'RFC 5280 reason: unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn' } },
} as const;

export const emptyBody = { type: 'object', additionalProperties: false, properties: {} } as const;

export const createTokenBody = {
  type: 'object',
  additionalProperties: false,
  required: ['role', 'owner', 'ttlSeconds'],
  properties: {
    role: { type: 'string', enum: roles },
    owner: { type: 'string', maxLength: 200 },
    ttlSeconds: { type: 'integer', minimum: 60, maximum: 366 * 86400, description: 'at most the server policy (12 h by default)' },
    products: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 100 },
  },
} as const;

export const listDevicesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    state: { type: 'string', enum: ['registered', 'active', 'suspended', 'revoked', 'decommissioned'] },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    after: serial,
  },
} as const;

export const batchParams = { type: 'object', properties: { id: { type: 'string', pattern: '^bat_[0-9a-f]{20}$' } }, required: ['id'] } as const;

export const createBatchBody = {
  type: 'object',
  additionalProperties: false,
  required: ['factory', 'validUntil'],
  properties: {
    factory: { type: 'string', maxLength: 200, description: 'the factory principal: owner of the factory tokens that may act for this batch' },
    serials: { type: 'array', minItems: 1, maxItems: 10000, items: { type: 'string', maxLength: 64 } },
    range: {
      type: 'object',
      additionalProperties: false,
      required: ['from', 'to'],
      properties: { prefix: { type: 'string', maxLength: 48 }, from: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, to: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, width: { type: 'integer', minimum: 1, maximum: 16 } },
    },
    validFrom: { type: 'string', maxLength: 40, description: 'RFC 3339 date-time; default now' },
    validUntil: { type: 'string', maxLength: 40, description: 'RFC 3339 date-time; at most 365 days after validFrom' },
  },
} as const;

export const bootstrapCaBody = {
  type: 'object',
  additionalProperties: false,
  required: ['certificate'],
  properties: { certificate: { type: 'string', maxLength: 32768, description: 'the manufacturer CA certificate, PEM' } },
} as const;

export const releaseParams = { type: 'object', properties: { sku, releaseId: { type: 'string', pattern: '^rel_[0-9a-f]{20}$' } }, required: ['sku', 'releaseId'] } as const;

export const withdrawReleaseBody = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { reason: { type: 'string', minLength: 1, maxLength: 500, description: 'why: kept with the release and in its release.withdrawn event' } },
} as const;

const sha256Hex = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
export const createReleaseBody = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'securityVersion', 'kind', 'updateType', 'imageSha256'],
  properties: {
    version: { type: 'string', maxLength: 64 },
    securityVersion: { type: 'integer', minimum: 0, maximum: 4294967295 },
    kind: { type: 'string', enum: ['firmware', 'config'] },
    updateType: { type: 'string', enum: ['security', 'feature'] },
    hardware: { type: 'array', maxItems: 64, items: { type: 'string', maxLength: 64 } },
    imageName: { type: 'string', maxLength: 128 },
    imageSha256: sha256Hex,
    sbomSha256: sha256Hex,
    // updates/release-reference-values.ts checks the rest (digest length by bank, PCR range)
    bootMeasurements: {
      type: 'object',
      additionalProperties: false,
      required: ['bank', 'pcrs'],
      properties: {
        bank: { type: 'string', enum: ['sha256', 'sha384', 'sha512'] },
        pcrs: {
          type: 'object',
          minProperties: 1,
          maxProperties: 24,
          propertyNames: { pattern: '^(0|[1-9][0-9]?)$' },
          additionalProperties: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', pattern: '^[0-9a-f]{64,128}$' } },
        },
      },
    },
  },
} as const;
