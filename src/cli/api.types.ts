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
