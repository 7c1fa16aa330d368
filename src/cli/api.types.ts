/** The client's view of the /v1 answers (docs/design/api.md); the server owns the shapes. */
export interface Product {
  readonly id: string;
  readonly sku: string;
  readonly name: string;
  readonly craClass: string;
  readonly supportUntil: string;
  readonly keyAlgorithm: string;
  readonly certificateValidityDays: number;
  readonly renewalWindowDays: number;
  readonly owner: string;
  readonly issuingCaId: string;
  readonly createdAt: string;
  /** docs/design/enrollment.md "Product fields"; absent from servers that predate EST. */
  readonly serverKeygen?: boolean;
  readonly reenrollGraceDays?: number;
}

export interface CertificateSummary {
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly status: string;
  readonly revocationReason?: string;
  readonly revokedAt?: string;
}

export interface Device {
  readonly id: string;
  readonly product: string;
  readonly serial: string;
  readonly hardwareId: string | null;
  readonly state: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly currentCertificate?: CertificateSummary;
  readonly certificates?: readonly CertificateSummary[];
  /** Required by the contract; read defensively all the same. */
  readonly renewalDue?: boolean;
}

export interface LifecycleEvent {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly subjectType: string;
  readonly subjectId: string;
  readonly details: unknown;
}

export interface IssuedCertificate {
  readonly certificate: string;
  readonly chain: string;
  readonly serialNumber: string;
  readonly notAfter: string;
}

export interface CreatedToken {
  readonly id: string;
  readonly token: string;
  readonly role: string;
  readonly owner: string;
  readonly expiresAt: string;
  readonly products: readonly string[];
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly next?: string;
}

/** An enrollment batch (docs/design/enrollment.md "Factory provisioning"). */
export interface Batch {
  readonly id: string;
  readonly product: string;
  readonly factory: string;
  readonly validFrom: string;
  readonly validUntil: string;
  readonly state: 'open' | 'closed' | 'expired';
  readonly createdBy: string;
  readonly createdAt: string;
  readonly closedAt?: string;
  readonly counts: { readonly total: number; readonly used: number; readonly unused: number };
}

/** The answer to `POST /v1/products/:sku/batches`: the only place the token secrets appear. */
export interface CreatedBatch {
  readonly batch: Batch;
  readonly tokens: readonly MintedToken[];
}

/** The answer to `POST /v1/batches/:id/tokens`: fresh tokens for the unused serials. */
export interface ReissuedTokens {
  readonly tokens: readonly MintedToken[];
  readonly expiresAt: string;
}

export interface MintedToken {
  readonly serial: string;
  readonly token: string;
}

export interface BatchSerial {
  readonly serial: string;
  readonly status: 'unused' | 'used' | 'expired' | 'void';
  readonly usedAt?: string;
  readonly station?: string;
  readonly certificateSerial?: string;
}

/** A manufacturer (IDevID) CA registered for a product. */
export interface BootstrapCa {
  readonly id: string;
  readonly subject: string;
  readonly fingerprintSha256: string;
  readonly notAfter: string;
}

export interface BlobDigests {
  sha256: string;
  sha512: string;
  length: number;
}

export interface Release {
  id: string;
  product: string;
  version: string;
  securityVersion: number;
  kind: 'firmware' | 'config';
  updateType: 'security' | 'feature';
  hardware: string[];
  image: { name: string; length: number; sha256: string; sha512: string };
  sbom: { sha256: string; specVersion: string; components: number; name?: string; version?: string; purl?: string } | null;
  /** attestation reference values: per PCR, the boot measurements and the value they give */
  referenceValues?: { bank: string; pcrs: Record<string, { measurements: string[]; value: string }> };
  state: string;
  createdBy: string;
  createdAt: string;
  publishedAt?: string;
  retainUntil?: string;
  withdrawnAt?: string;
  withdrawnBy?: string;
  withdrawnReason?: string;
}
