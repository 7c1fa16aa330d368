import { DAY_MS } from '../core/clock.ts';
import { TrustplaneError } from '../core/errors.ts';
import { randomCertificateSerial } from '../core/random.ts';
import type { Signer } from '../crypto/signer.ts';
import { der, signTbsCertificate } from './certificate-builder.ts';
import { subjectOf } from './ca-hierarchy.ts';
import type { VerifiedCsr } from './csr.ts';
import type { IdentityContext } from './identity-context.ts';
import type { CertificateState, CertificateStatusUpdate, DeviceUpdate, TokenUse } from './identity-store.types.ts';
import { checkOneTimeToken, checkRenewalAuthority, checkSpentToken, csrSubjectNamesForLedger, decideIssuance, type IssuanceKind, type OneTimeTokenGrant } from './issuance-plan.ts';
import { DeviceCertificateTemplate } from './device-certificate-template.ts';
import { KeyUsageFlags, publicationUrls } from './profiles.ts';
import { actorName, type Actor, type CaRecord, type CertificateRecord, type EventInput, type KeyBinding, type ProductRecord, type ReprovisionPath } from './records.types.ts';

export interface IssuanceRequest {
  kind: IssuanceKind;
  product: ProductRecord;
  serial: string;
  csr: VerifiedCsr;
  actor: Actor;
  /** SHA-256 of the one-time enrollment token that authorises it (EST); spent in the same unit of work */
  oneTimeToken?: Uint8Array;
  /**
   * A factory's bearer token asks: it may enroll only a serial holding an unused token of an open
   * batch naming this factory, and spends that token (found and locked with the batch's other rows).
   */
  factory?: string;
  /** renewals over EST: the certificate that authenticated the request (RFC 7030 §4.2.2) */
  presented?: { serial: string };
  /**
   * First enrollments: the path that authorised it. A revoked device enrolls only by the path of
   * an operator's decision (DESIGN rule 7). Unset, a person's bearer token asking (`/v1` enroll by
   * an admin or operator) is the `api` path; a factory's ask is never a re-provisioning path.
   */
  path?: ReprovisionPath;
  /**
   * A lost serverkeygen answer (RFC 7030 §4.4): the certificate whose key the device never got. The
   * request's credential is the first one's (its token, spent on that certificate, or its IDevID).
   */
  reissueOf?: string;
  /** serverkeygen (RFC 7030 §4.4): the key is the server's making, not the device's */
  serverGeneratedKey?: boolean;
  /** how and where it was asked for (via, station, bootstrap CA): joins the event's details */
  provenance?: { station?: string } & Record<string, unknown>;
}

export interface IssuedCertificate {
  certificate: CertificateRecord;
  issuer: CaRecord;
}

interface Pending {
  request: IssuanceRequest;
  resolve: (r: IssuedCertificate) => void;
  reject: (e: unknown) => void;
}

interface IssuerMaterial {
  ca: CaRecord;
  signer: Signer;
  /** DER of the issuer's subject: the issuer field of every certificate it signs */
  name: Uint8Array;
  /** by product, key usage and public URL: what their certificates share, encoded once */
  templates: Map<string, DeviceCertificateTemplate>;
}

const MAX_BATCH = 128;
/** Requests waiting beyond this are refused at once (503 + Retry-After) rather than queued for ever. */
const MAX_QUEUED_REQUESTS = 8192;
/**
 * Issues device certificates. Concurrent requests are grouped into one unit of work (group
 * commit): one locking read and one write statement, with the events, for the whole batch.
 * Each request is still decided on its own, and its state change and event commit together.
 * If a batch fails as a whole, each request is retried alone so one fault cannot sink others.
 *
 * One batch is under way at a time, and the next is formed when it has committed: it holds every
 * request that arrived meanwhile. A batch formed while another still held the connection would
 * take only the few that had arrived, then wait; the fixed cost of a transaction (four
 * statements) would be shared by fewer certificates.
 */
export class IssuancePipeline {
  readonly #ctx: IdentityContext;
  readonly #queue: Pending[] = [];
  readonly #issuers = new Map<string, IssuerMaterial>();
  readonly #maxQueued: number;
  #draining = false;

  constructor(ctx: IdentityContext, limits: { maxQueuedRequests?: number } = {}) {
    this.#ctx = ctx;
    this.#maxQueued = limits.maxQueuedRequests ?? MAX_QUEUED_REQUESTS;
  }

  issue(request: IssuanceRequest): Promise<IssuedCertificate> {
    if (this.#queue.length >= this.#maxQueued) {
      return Promise.reject(new TrustplaneError('SERVICE_OVERLOADED', 'too many issuance requests are waiting', { details: { retryAfterSeconds: 2 } }));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      if (!this.#draining) {
        this.#draining = true;
        setImmediate(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_BATCH);
        try {
          await this.#runBatch(batch);
        } catch {
          for (const p of batch) {
            await this.#runBatch([p]).catch((e: unknown) => p.reject(e));
          }
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  async #runBatch(batch: Pending[]): Promise<void> {
    const now = this.#ctx.clock.now();
    const settled: (() => void)[] = [];
    const issuers = new Map<string, IssuerMaterial>();
    for (const p of batch) issuers.set(p.request.product.issuingCaId, await this.#issuer(p.request.product.issuingCaId));
    // What a certificate says depends on the request, the product and the issuer, never on the
    // database: it is encoded before the transaction. It is signed only once decided, inside it.
    const drafts = batch.map((p) => this.#draft(p.request, issuers.get(p.request.product.issuingCaId)!, now));
    await this.#ctx.store.unitOfWork(async (uow) => {
      const state = await uow.lockIssuanceState({
        devices: batch.map((p) => ({ productId: p.request.product.id, serial: p.request.serial })),
        spkiSha256: batch.map((p) => p.request.csr.spkiSha256),
        oneTimeTokens: batch.flatMap((p) => (p.request.oneTimeToken ? [p.request.oneTimeToken] : [])),
        factoryAsks: batch.flatMap((p) => (p.request.factory === undefined ? [] : [{ productId: p.request.product.id, serial: p.request.serial, factory: p.request.factory }])),
        now,
      });
      const byKey = new Map(state.devices.map((d) => [`${d.productId}/${d.serial}`, d]));
      const bindings = new Map(state.bindings.map((b) => [hex(b.spkiSha256), b]));
      const currentKeys = newestByDevice(state.certificates);
      const grants = new Map(state.oneTimeGrants.map((g) => [hex(g.tokenHash), g]));
      const factoryGrants = new Map(state.factoryGrants.map((g) => [`${g.productId}/${g.serial}/${g.factory}`, g]));
      const spent: TokenUse[] = [];

      const certs: CertificateRecord[] = [];
      const issuedHere = new Set<string>();
      const deviceUpdates = new Map<string, DeviceUpdate>();
      const newBindings: KeyBinding[] = [];
      const superseded: CertificateStatusUpdate[] = [];
      const events: EventInput[] = [];
      const signing: Promise<void>[] = [];

      for (const [i, p] of batch.entries()) {
        const { request } = p;
        try {
          const deviceKey = `${request.product.id}/${request.serial}`;
          // The credential first: an unauthorised caller learns nothing about the device.
          let grant: OneTimeTokenGrant | undefined;
          const asked = { productId: request.product.id, serial: request.serial };
          if (request.oneTimeToken) {
            const held = grants.get(hex(request.oneTimeToken));
            grant = request.reissueOf === undefined ? checkOneTimeToken(held, asked, now) : checkSpentToken(held, asked, request.reissueOf, now);
          }
          if (request.factory !== undefined) {
            const held = factoryGrants.get(`${deviceKey}/${request.factory}`);
            if (!held || held.usedAt) throw new TrustplaneError('FORBIDDEN', `serial ${request.serial} is in no open enrollment batch of ${request.factory}`);
            grant = checkOneTimeToken(held, { productId: request.product.id, serial: request.serial }, now);
          }
          const current = currentKeys.get(byKey.get(deviceKey)?.id ?? '');
          const decision = decideIssuance({
            kind: request.kind,
            product: request.product,
            device: byKey.get(deviceKey),
            csr: request.csr,
            binding: bindings.get(hex(request.csr.spkiSha256)),
            currentKeySha256: current?.spkiSha256,
            now,
            ...(request.reissueOf === undefined ? {} : { reissue: { lost: request.reissueOf, current } }),
            ...pathOf(request),
            ...(grant ? { tokenBatchId: grant.batchId } : {}),
          });
          const { device } = decision;
          if (request.presented) checkRenewalAuthority(request.presented, current);
          const issuer = issuers.get(request.product.issuingCaId)!;
          const { cert, tbs } = drafts[i]!;
          cert.deviceId = device.id;
          certs.push(cert);
          issuedHere.add(cert.serial);
          signing.push(signTbsCertificate(tbs, issuer.signer).then((der) => void (cert.der = der)));
          const previous = currentKeys.get(device.id);
          if (previous && previous.status !== 'revoked' && previous.status !== 'superseded') {
            // One issued earlier in this very batch is not stored yet: it is written superseded.
            if (issuedHere.has(previous.serial)) Object.assign(previous, { status: 'superseded', revocationReason: 'superseded', revokedAt: now });
            else superseded.push({ serial: previous.serial, status: 'superseded', revocationReason: 'superseded', revokedAt: now });
          }
          if (decision.bindKey) {
            const binding = { spkiSha256: request.csr.spkiSha256, deviceId: device.id, retiredAt: null };
            newBindings.push(binding);
            bindings.set(hex(request.csr.spkiSha256), binding);
          }
          // Later requests in this batch for the same device see the new state.
          const updated = { ...device, state: 'active' as const, currentCertificateSerial: cert.serial, updatedAt: now };
          byKey.set(deviceKey, updated);
          currentKeys.set(device.id, cert);
          deviceUpdates.set(device.id, { id: device.id, state: 'active', currentCertificateSerial: cert.serial, updatedAt: now });
          if (grant) {
            spent.push({
              tokenHash: grant.tokenHash,
              usedAt: now,
              station: request.provenance?.station ?? null,
              certificateSerial: cert.serial,
              ...(request.reissueOf === undefined ? {} : { replaces: request.reissueOf }),
            });
            grants.set(hex(grant.tokenHash), { ...grant, usedAt: now });
            if (request.factory !== undefined) factoryGrants.set(`${deviceKey}/${request.factory}`, { ...grant, usedAt: now });
          }
          events.push({
            actor: actorName(request.actor),
            action: request.kind === 'enroll' ? (device.state === 'revoked' ? 'device.reprovisioned' : 'device.enrolled') : 'device.renewed',
            subjectType: 'device',
            subjectId: device.id,
            details: {
              product: request.product.sku,
              serial: request.serial,
              certificateSerial: cert.serial,
              notAfter: cert.notAfter.toISOString(),
              keyAlgorithm: request.csr.keyAlgorithm,
              ...(request.csr.subjectSerials.length > 0 ? { csrSubjectNames: csrSubjectNamesForLedger(request.csr) } : {}),
              ...(request.kind === 'renew' ? { keyRotated: decision.keyRotated } : {}),
              ...(previous && request.kind === 'renew' ? { supersedes: previous.serial } : {}),
              // recorded as such: the lost certificate is superseded, never silently replaced
              ...(request.reissueOf === undefined ? {} : { supersedes: request.reissueOf, reissuedAfterLostAnswer: true }),
              ...(grant ? { batch: grant.batchId, factory: grant.factory } : {}),
              ...request.provenance,
            },
          });
          settled.push(() => p.resolve({ certificate: cert, issuer: issuer.ca }));
        } catch (e) {
          if (!(e instanceof TrustplaneError)) throw e;
          settled.push(() => p.reject(e));
        }
      }
      await Promise.all(signing);
      await uow.writeIssuance({ bindings: newBindings, statusUpdates: superseded, certificates: certs, devices: [...deviceUpdates.values()], spentTokens: spent, events, at: now });
    }, { at: now });
    for (const s of settled) s();
  }

  /** The certificate record to be, and its TBSCertificate's DER (unsigned). */
  #draft(request: IssuanceRequest, issuer: IssuerMaterial, now: Date): { cert: CertificateRecord; tbs: Uint8Array } {
    const serial = randomCertificateSerial(this.#ctx.random);
    const { product } = request;
    const notBefore = new Date(now.getTime() - this.#ctx.config.backdateSeconds * 1000);
    // Never beyond the support period nor the issuing CA (RFC 5280 §6: a chain is only as valid as its shortest link).
    const notAfter = new Date(Math.min(now.getTime() + product.certificateValidityDays * DAY_MS, product.supportUntil.getTime(), issuer.ca.notAfter.getTime()));
    const cert: CertificateRecord = {
      serial: hex(serial),
      caId: issuer.ca.id,
      deviceId: null,
      spkiSha256: request.csr.spkiSha256,
      der: new Uint8Array(0),
      notBefore,
      notAfter,
      status: 'good',
      revocationReason: null,
      revokedAt: null,
      issuedAt: now,
      firstUsedAt: null,
      issuedFor: request.kind === 'enroll' && request.serverGeneratedKey === true ? 'serverkeygen' : request.kind,
    };
    const { csr } = request;
    const keyUsage = csr.keyAlgorithm === 'rsa-3072' ? KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment : KeyUsageFlags.digitalSignature;
    // DESIGN rule 2: the subject comes from the registry, never from the CSR; only its key is used.
    const tbs = this.#template(issuer, product, keyUsage).encodeTbs({ serial, notBefore, notAfter, deviceSerial: request.serial, spki: csr.spki });
    return { cert, tbs };
  }

  /** Products never change after creation; the public URL may (setPublicUrl), so it is in the key. */
  #template(issuer: IssuerMaterial, product: ProductRecord, keyUsageFlags: number): DeviceCertificateTemplate {
    const publicUrl = this.#ctx.config.publicUrl();
    const key = `${product.id} ${keyUsageFlags} ${publicUrl}`;
    let template = issuer.templates.get(key);
    if (!template) {
      if (issuer.templates.size >= 256) issuer.templates.clear(); // the public URL changed more often than it ever should
      const urls = publicationUrls(publicUrl, issuer.ca.id);
      template = new DeviceCertificateTemplate({ signer: issuer.signer, issuerName: issuer.name, organization: this.#ctx.config.organization, sku: product.sku, keyUsageFlags, urls });
      issuer.templates.set(key, template);
    }
    return template;
  }

  async #issuer(caId: string): Promise<IssuerMaterial> {
    const cached = this.#issuers.get(caId);
    if (cached) return cached;
    const ca = await this.#ctx.store.findCa(caId);
    if (!ca) throw new Error(`issuing CA ${caId} is missing`);
    const signer = await this.#ctx.keys.signer(ca.keyId);
    const material = { ca, signer, name: der(subjectOf(ca.certificate)), templates: new Map<string, DeviceCertificateTemplate>() };
    this.#issuers.set(caId, material);
    return material;
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function pathOf(request: IssuanceRequest): { path?: ReprovisionPath } {
  if (request.path !== undefined) return { path: request.path };
  return request.actor.kind === 'token' && request.factory === undefined ? { path: 'api' } : {};
}

/** The newest certificate of each device (its current key, and what a renewal supersedes). */
function newestByDevice(certificates: CertificateState[]): Map<string, CertificateState> {
  const out = new Map<string, CertificateState>();
  for (const c of certificates) {
    const seen = out.get(c.deviceId ?? '');
    if (c.deviceId && (!seen || seen.issuedAt.getTime() < c.issuedAt.getTime())) out.set(c.deviceId, c);
  }
  return out;
}
