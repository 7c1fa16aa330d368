import { TrustplaneError } from '../core/errors.ts';
import { buildCrl } from './crl/build-crl.ts';
import type { IdentityContext } from './identity-context.ts';
import { respondOcsp } from './ocsp/ocsp-responder.ts';
import type { OcspCertStatus } from './ocsp/ocsp-response.ts';
import type { CaRecord, CrlRecord } from './records.types.ts';

/** Builds, stores and serves the revocation state of each CA: CRL (RFC 5280 §5) and OCSP (RFC 6960). */
export class RevocationPublisher {
  readonly #ctx: IdentityContext;
  constructor(ctx: IdentityContext) {
    this.#ctx = ctx;
  }

  /**
   * Issues the next CRL of `caId` from the revocation state as committed now. RFC 5280 §5.2.3: CRL
   * numbers increase monotonically. Publishers of one CA, in this process or another on the same
   * database, take turns (the store's CRL lock, held until commit): each reads the CRL the one before
   * it committed and builds number + 1 over a state at least as new, so every change is on a CRL
   * numbered above the one before it, and no publisher ever loses a race it must report as a fault.
   * With `unlessNewerThan`, a CRL published meanwhile above that number is returned instead of
   * issuing another (a refresh need not follow a refresh).
   */
  async publishCrl(caId: string, options: { unlessNewerThan?: bigint } = {}): Promise<CrlRecord> {
    const ca = await this.#requireSigningCa(caId);
    // Before the unit of work: the key store reads through its own connection.
    const signer = await this.#ctx.keys.signer(ca.keyId);
    return this.#ctx.store.unitOfWork(async (uow) => {
      const { latest, revoked } = await uow.lockCrlState(caId);
      if (latest && options.unlessNewerThan !== undefined && latest.crlNumber > options.unlessNewerThan) return latest;
      const now = this.#ctx.clock.now();
      const crlNumber = (latest?.crlNumber ?? 0n) + 1n;
      const nextUpdate = new Date(now.getTime() + this.#ctx.config.crlValiditySeconds * 1000);
      const der = await buildCrl({
        issuerCertDer: ca.certificate,
        signer,
        crlNumber,
        thisUpdate: now,
        nextUpdate,
        revoked: revoked.map((c) => ({ serial: Buffer.from(c.serial, 'hex'), revokedAt: c.revokedAt ?? now, reason: c.revocationReason ?? 'unspecified' })),
      });
      const crl: CrlRecord = { caId, crlNumber, thisUpdate: now, nextUpdate, der };
      await uow.insertCrl(crl);
      return crl;
    });
  }

  /** The CRL to serve: the latest, re-issued first when it is missing or past half its validity. */
  async currentCrl(caId: string): Promise<CrlRecord> {
    const latest = await this.#ctx.store.findLatestCrl(caId);
    if (latest && !this.#refreshDue(latest)) return latest;
    return this.publishCrl(caId, { unlessNewerThan: latest?.crlNumber ?? 0n });
  }

  /** Re-issues every CRL that is due (run on a timer, and by tests after moving the clock). */
  async refreshDueCrls(caIds: string[]): Promise<number> {
    let n = 0;
    for (const id of caIds) {
      const latest = await this.#ctx.store.findLatestCrl(id);
      if (!latest || this.#refreshDue(latest)) {
        await this.publishCrl(id, { unlessNewerThan: latest?.crlNumber ?? 0n });
        n++;
      }
    }
    return n;
  }

  /** RFC 6960: answers for the issuing CA `caId`, signed by its delegated responder. Never throws on client input. */
  async respondOcsp(caId: string, requestDer: Uint8Array): Promise<Uint8Array> {
    const ca = await this.#requireSigningCa(caId);
    const responderCa = ca.kind === 'issuing' ? await this.#ctx.store.findCurrentOcspResponder(ca.id) : undefined;
    const responder = responderCa
      ? { signer: await this.#ctx.keys.signer(responderCa.keyId), certDer: responderCa.certificate, includeCert: true }
      : { signer: await this.#ctx.keys.signer(ca.keyId), certDer: ca.certificate, includeCert: false };
    return respondOcsp({
      requestDer,
      issuer: { certDer: ca.certificate },
      responder,
      now: this.#ctx.clock.now(),
      validitySeconds: this.#ctx.config.ocspValiditySeconds,
      lookup: (serialHex) => this.#status(ca.id, serialHex),
    });
  }

  async #status(caId: string, serialHex: string): Promise<OcspCertStatus> {
    const cert = await this.#ctx.store.findCertificate(caId, serialHex.padStart(32, '0'));
    if (!cert) return { kind: 'unknown' };
    switch (cert.status) {
      case 'good':
        return { kind: 'good' };
      case 'hold':
        return { kind: 'revoked', revokedAt: cert.revokedAt ?? cert.issuedAt, reason: 'certificateHold' };
      case 'revoked':
      case 'superseded':
        // Fail closed: a revoked row without its time still answers revoked.
        return { kind: 'revoked', revokedAt: cert.revokedAt ?? cert.issuedAt, reason: cert.revocationReason ?? 'unspecified' };
    }
  }

  #refreshDue(crl: CrlRecord): boolean {
    const half = (crl.nextUpdate.getTime() - crl.thisUpdate.getTime()) / 2;
    return this.#ctx.clock.now().getTime() >= crl.thisUpdate.getTime() + half;
  }

  async #requireSigningCa(caId: string): Promise<CaRecord> {
    const ca = await this.#ctx.store.findCa(caId);
    if (!ca || ca.kind === 'ocsp-responder') throw new TrustplaneError('NOT_FOUND', 'no such CA');
    return ca;
  }
}
