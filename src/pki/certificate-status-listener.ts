/**
 * Told by the store when certificates change revocation status (revoke, hold, reinstate,
 * supersede, and issuance itself), so that what answers for them from memory (pre-produced OCSP
 * responses) never outlives the change: `changing` before the transaction commits, `settled`
 * once it has committed or rolled back. Between the two an answer may be read from the store,
 * but not kept.
 */
export interface CertificateStatusListener {
  changing(serials: readonly string[]): void;
  settled(serials: readonly string[], committed: boolean): void;
}

/** Fans one store's notifications out to whoever registers (the OCSP responder of this process). */
export class CertificateStatusHub implements CertificateStatusListener {
  readonly #listeners: CertificateStatusListener[] = [];

  add(listener: CertificateStatusListener): void {
    this.#listeners.push(listener);
  }

  changing(serials: readonly string[]): void {
    if (serials.length > 0) for (const l of this.#listeners) l.changing(serials);
  }

  settled(serials: readonly string[], committed: boolean): void {
    if (serials.length > 0) for (const l of this.#listeners) l.settled(serials, committed);
  }
}
