import { AccessPaths } from '../access/access-paths.ts';
import { defaultAccessPathPolicy, type AccessPathPolicy } from '../access/access-paths.types.ts';
import { ApiTokens, defaultTokenPolicy, type TokenPolicy } from '../access/api-tokens.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { systemRandom, type Random } from '../core/random.ts';
import { SoftwareKeyStore } from '../crypto/software-key-store.ts';
import { ensureRootCa } from '../pki/ca-hierarchy.ts';
import { defaultIdentityConfig, type IdentityConfig, type IdentityContext } from '../pki/identity-context.ts';
import { IssuancePipeline } from '../pki/issuance.ts';
import { actorName, type ProductRecord } from '../pki/records.types.ts';
import { CrlPublisher, defaultCrlPolicy, type CrlPolicy } from '../pki/crl/crl-publisher.ts';
import { OcspService } from '../pki/ocsp/ocsp-service.ts';
import { CertificateStatusHub } from '../pki/certificate-status-listener.ts';
import { RevocationRepository } from '../store/revocation-repository.ts';
import { listenForStatusChanges, type StatusChangeFeed } from '../store/status-notifications.ts';
import { newId } from '../core/ids.ts';
import type { StoredCrl } from '../pki/revocation-store.types.ts';
import { rotateOcspResponders } from '../pki/ocsp-responder-rotation.ts';
import { openDatabase, type DatabaseLocation, type OpenDatabase } from '../store/database.ts';
import { IdentityRepository } from '../store/identity-repository.ts';
import { KeyRepository } from '../store/key-repository.ts';
import { TokenRepository } from '../store/token-repository.ts';
import { AccessPathRepository } from '../store/access-path-repository.ts';
import { TrustplaneError } from '../core/errors.ts';
import type { VerifiedCsr } from '../pki/csr.ts';
import { CsrVerifierPool } from './csr-verifier-pool.ts';
import { ledgerConfig, type IntegrationResult, type LedgerConfig } from '../ledger/integrator.ts';
import { Ledger } from '../ledger/ledger.ts';
import { LedgerRepository } from '../store/ledger-repository.ts';
import type { EnrollmentContext } from '../enrollment/batches.ts';
import { EnrollmentRepository } from '../store/enrollment-repository.ts';
import { defaultUpdatesConfig, type UpdatesConfig, type UpdatesContext } from '../updates/updates-context.ts';
import { UpdatesRepository } from '../store/updates-repository.ts';
import { openBlobStore, type SweptBlobStore } from '../store/blob-store.ts';
import { PostgresBlobStore } from '../store/blob-store-postgres.ts';
import { refreshOnlineMetadata } from '../updates/tuf-online.ts';
import { advanceSoakedRollouts } from '../updates/rollouts.ts';
import { VulnsRepository } from '../store/vulns-repository.ts';
import { indexPendingReleases } from '../vulns/release-index.ts';
import type { VulnsContext } from '../vulns/vulns-context.ts';
import { noInstallationContact, type CraContext, type InstallationSecurityContact } from '../compliance/cra-context.ts';
import { CraProfileRepository } from '../store/cra-profile-repository.ts';
import type { Article14Context } from '../article14/article14-context.ts';
import { Article14Repository } from '../store/article14-repository.ts';
import { AdvisoriesRepository } from '../store/advisories-repository.ts';
import type { AdvisoryContext } from '../vulns/csaf/advisory-context.ts';
import type { AccessContext } from '../access/access-context.ts';
import { AccessRepository } from '../store/access-repository.ts';
import { ProductKrls } from '../access/product-krl.ts';
import { defaultAttestationConfig, type AttestationConfig, type AttestationContext } from '../attestation/attestation-store.types.ts';
import { purgeExpiredNonces } from '../attestation/verifier/challenge.ts';
import { AttestationRepository } from '../store/attestation-repository.ts';
import { Registry } from 'prom-client';
import { attestationMetrics } from './metrics.ts';
import type { Signer } from '../crypto/signer.ts';

export interface TrustplaneOptions {
  database: DatabaseLocation;
  kek: Uint8Array;
  clock?: Clock;
  random?: Random;
  identity?: Partial<Omit<IdentityConfig, 'publicUrl'>>;
  tokenPolicy?: TokenPolicy;
  /** review intervals of the register of privileged access paths */
  accessPathPolicy?: Partial<AccessPathPolicy>;
  /** Threads that check CSRs; default: one per core but one. 0: on the main thread. */
  csrWorkers?: number;
  /** Initial public URL; may be set once the server listens. */
  publicUrl?: string;
  /** Issuance requests waiting beyond this are refused with 503 + Retry-After (default 8192). */
  issuanceQueueLimit?: number;
  /** The trust ledger's origin (its name in checkpoints) and integration batch size. */
  ledger?: Partial<LedgerConfig>;
  /** When CRLs are issued and how they are served (validity comes from `identity.crlValiditySeconds`). */
  crl?: Partial<Omit<CrlPolicy, 'validitySeconds'>>;
  /** Pre-produced OCSP answers kept in memory (default 100,000). */
  ocspCacheEntries?: number;
  /**
   * The data home: on the embedded store, release images live in its `blobs/` directory. Without
   * it (and always with PostgreSQL) they live in the database.
   */
  home?: string;
  updates?: Partial<UpdatesConfig>;
  /** The installation's vulnerability contact point: `/.well-known/security.txt` and products without their own. */
  securityContact?: InstallationSecurityContact;
  /** The verifier's nonce and credential-challenge lifetimes (docs/design/attestation.md). */
  attestation?: Partial<AttestationConfig>;
}

/** How long a process serves a product from memory before reading it again (its CRA profile may change it elsewhere). */
const PRODUCT_CACHE_MS = 30_000;
/** How long a server signs with the verifier key it read before reading the current one again. */
const VERIFIER_KEY_CACHE_MS = 30_000;

/** The composition root: ports wired to their adapters, shared by the HTTP server, benches and tests. */
export class Trustplane {
  readonly database: OpenDatabase;
  readonly identity: IdentityContext;
  readonly issuance: IssuancePipeline;
  /** CRLs: issued in batches by `issueDueCrls` (the server's timer), served as stored. */
  readonly crls: CrlPublisher;
  /** OCSP: pre-produced answers. */
  readonly ocsp: OcspService;
  readonly tokens: ApiTokens;
  /** The register of privileged access paths (docs/design/access-paths.md). */
  readonly accessPaths: AccessPaths;
  readonly clock: Clock;
  readonly csrVerifier: CsrVerifierPool;
  readonly ledger: Ledger;
  readonly enrollment: EnrollmentContext;
  /** Releases, their images and SBOMs. */
  readonly updates: UpdatesContext;
  /** The vulnerability register: advisories, releases' components, statuses. */
  readonly vulns: VulnsContext;
  /** Products' CRA profiles and the installation's security contact. */
  readonly cra: CraContext;
  /** CRA Article 14 reporting: report cases, their clocks, drafts and submissions; incidents. */
  readonly article14: Article14Context;
  /** Published CSAF advisories (docs/design/csaf.md). */
  readonly advisories: AdvisoryContext;
  /** Time-bound SSH access: per-product SSH CAs, policy, grants, certificates, the KRL (docs/design/access.md). */
  readonly access: AccessContext;
  /** Each product's SSH KRL, built on demand and kept per version. */
  readonly krls = new ProductKrls();
  /** The remote-attestation verifier: challenges, attestation keys, appraisals (docs/design/attestation.md). */
  readonly attestation: AttestationContext;
  /** Prometheus metrics of this server (`GET /metrics`, src/server/metrics.ts). */
  readonly metrics = new Registry();
  readonly #blobs: SweptBlobStore;
  #publicUrl: string | undefined;
  readonly #announcer: string | undefined;
  #statusFeed: StatusChangeFeed | undefined;
  readonly #products = new Map<string, { product: ProductRecord; readAt: number }>();

  private constructor(database: OpenDatabase, options: TrustplaneOptions) {
    this.database = database;
    this.clock = options.clock ?? systemClock;
    const random = options.random ?? systemRandom;
    this.#publicUrl = options.publicUrl;
    const statusHub = new CertificateStatusHub();
    // On PostgreSQL other servers may share the database: status changes are announced to them.
    const announce = database.kind === 'postgres' ? { sender: newId('srv', random) } : undefined;
    this.#announcer = announce?.sender;
    const store = new IdentityRepository(database.db, this.clock, statusHub, announce);
    this.identity = {
      store,
      keys: new SoftwareKeyStore(options.kek, new KeyRepository(database.db), random, this.clock),
      clock: this.clock,
      random,
      config: {
        ...defaultIdentityConfig,
        ...options.identity,
        publicUrl: () => {
          if (this.#publicUrl === undefined) throw new TrustplaneError('INTERNAL', 'the public URL is not known yet');
          return this.#publicUrl;
        },
      },
    };
    this.issuance = new IssuancePipeline(this.identity, options.issuanceQueueLimit === undefined ? {} : { maxQueuedRequests: options.issuanceQueueLimit });
    this.enrollment = { identity: this.identity, store: new EnrollmentRepository(database.db, this.clock, statusHub, announce) };
    this.csrVerifier = new CsrVerifierPool(options.csrWorkers);
    const revocationStore = new RevocationRepository(database.db);
    this.crls = new CrlPublisher(this.identity, revocationStore, { ...defaultCrlPolicy, ...options.crl, validitySeconds: this.identity.config.crlValiditySeconds });
    this.ocsp = new OcspService(this.identity, revocationStore, { validitySeconds: this.identity.config.ocspValiditySeconds, cacheEntries: options.ocspCacheEntries ?? 100_000 });
    statusHub.add(this.ocsp);
    this.ledger = new Ledger(new LedgerRepository(database.db), this.identity.keys, this.clock, ledgerConfig(options.ledger));
    const accessPathPolicy = Object.freeze({ ...defaultAccessPathPolicy, ...options.accessPathPolicy });
    this.tokens = new ApiTokens(new TokenRepository(database.db, this.clock), this.clock, random, options.tokenPolicy ?? defaultTokenPolicy, accessPathPolicy);
    this.accessPaths = new AccessPaths(new AccessPathRepository(database.db, this.clock), this.clock, random, accessPathPolicy);
    this.#blobs = options.home === undefined ? new PostgresBlobStore(database.db) : openBlobStore(database, options.home);
    this.updates = { identity: this.identity, store: new UpdatesRepository(database.db, this.clock), blobs: this.#blobs, config: { ...defaultUpdatesConfig, ...options.updates } };
    this.vulns = { clock: this.clock, random, store: new VulnsRepository(database.db, this.clock), blobs: this.#blobs, releases: this.updates.store, maxSbomBytes: this.updates.config.maxSbomBytes };
    this.cra = { identity: this.identity, store: new CraProfileRepository(database.db, this.clock), installation: Object.freeze({ ...(options.securityContact ?? noInstallationContact) }) };
    this.article14 = { clock: this.clock, random, store: new Article14Repository(database.db, this.clock), vulns: this.vulns };
    this.access = { identity: this.identity, store: new AccessRepository(database.db, this.clock), accessPathPolicy };
    this.advisories = {
      clock: this.clock,
      store: new AdvisoriesRepository(database.db, this.clock),
      vulns: this.vulns,
      releases: this.updates.store,
      // the installation is the publisher: its organisation, its public URL as namespace (docs/design/csaf.md)
      publisher: () => ({ category: 'vendor', name: this.identity.config.organization, namespace: this.identity.config.publicUrl() }),
      baseUrl: () => this.identity.config.publicUrl(),
      generator: { name: 'trustplane', version: '0.1.0' },
    };
    const attestationStore = new AttestationRepository(database.db, this.clock, statusHub, announce);
    this.attestation = {
      identity: this.identity,
      store: attestationStore,
      clock: this.clock,
      random,
      config: Object.freeze({ ...defaultAttestationConfig, ...options.attestation }),
      metrics: attestationMetrics(this.metrics),
      verifierSigner: () => this.#currentVerifierSigner(attestationStore),
      verifierKeyChanged: () => {
        this.#verifierSigner = undefined;
      },
    };
  }

  #verifierSigner: { signer: Promise<Signer>; readAt: number } | undefined;

  /**
   * The current verifier key, kept VERIFIER_KEY_CACHE_MS on the clock: a rotation by another server
   * sharing the database is followed within that (results it signs meanwhile name the old key, which
   * stays published while they stand, docs/design/attestation.md "Verifier keys").
   */
  #currentVerifierSigner(store: AttestationRepository): Promise<Signer> {
    const now = this.clock.now().getTime();
    const cached = this.#verifierSigner;
    if (cached && now - cached.readAt < VERIFIER_KEY_CACHE_MS && now >= cached.readAt) return cached.signer;
    const entry = {
      readAt: now,
      signer: this.#loadVerifierSigner(store).catch((e: unknown) => {
        if (this.#verifierSigner === entry) this.#verifierSigner = undefined; // try again next time
        throw e;
      }),
    };
    this.#verifierSigner = entry;
    return entry.signer;
  }

  /** As the ledger's key: made outside any transaction; of two servers making the first one, the first claim wins. */
  async #loadVerifierSigner(store: AttestationRepository): Promise<Signer> {
    const known = await store.currentVerifierKeyId();
    if (known !== undefined) return this.identity.keys.signer(known);
    const fresh = await this.identity.keys.generate('ed25519', 'attestation-verifier');
    const claimed = await store.claimVerifierKey(fresh.keyId, this.clock.now());
    return claimed === fresh.keyId ? fresh : this.identity.keys.signer(claimed);
  }

  static async open(options: TrustplaneOptions): Promise<Trustplane> {
    ledgerConfig(options.ledger); // a bad ledger origin stops the start before the database opens
    const database = await openDatabase(options.database);
    const tp = new Trustplane(database, options);
    if (options.database.kind === 'postgres' && tp.#announcer !== undefined) {
      // Until the feed listens, answers come from the store only (memory is not trusted).
      tp.ocsp.setMemoryTrusted(false);
      tp.#statusFeed = listenForStatusChanges(options.database.url, tp.#announcer, {
        changed: (serials) => tp.ocsp.changedElsewhere(serials),
        up: () => tp.ocsp.setMemoryTrusted(true),
        down: () => tp.ocsp.setMemoryTrusted(false),
      });
    }
    return tp;
  }

  setPublicUrl(url: string): void {
    this.#publicUrl = url.replace(/\/+$/, '');
  }

  get publicUrl(): string | undefined {
    return this.#publicUrl;
  }

  /**
   * First start: the root of trust and the attestation verifier's key. Every start: live admin and operator tokens made before the
   * register of access paths get their paths (once; docs/design/access-paths.md).
   */
  async initialise(): Promise<{ rootCreated: boolean }> {
    const { root, created } = await ensureRootCa(this.identity, { kind: 'system', name: 'init' });
    // Unwrap the root key now: a wrong KEK stops the start, not the first issuance.
    await this.identity.keys.signer(root.keyId);
    await this.tokens.registerExistingAccessPaths(actorName({ kind: 'system', name: 'init' }));
    // The verifier key exists before anyone asks for it: its public URL is a read that writes nothing.
    await this.attestation.verifierSigner();
    return { rootCreated: created };
  }

  /**
   * A product, kept in memory for a while: its CRA profile may change its category and support
   * period (this process forgets it at once, `productChanged`; others within PRODUCT_CACHE_MS).
   */
  async product(sku: string): Promise<ProductRecord> {
    const cached = this.#products.get(sku);
    if (cached && performance.now() - cached.readAt < PRODUCT_CACHE_MS) return cached.product;
    const p = await this.identity.store.findProductBySku(sku);
    if (!p) throw new TrustplaneError('PRODUCT_NOT_FOUND');
    this.#products.set(sku, { product: p, readAt: performance.now() });
    return p;
  }

  /** After a change to the product's row (its CRA profile): the next `product()` reads it again. */
  productChanged(sku: string): void {
    this.#products.delete(sku);
  }

  /** Parses a CSR and checks its proof of possession, off the main thread. */
  verifyCsr(der: Uint8Array): Promise<VerifiedCsr> {
    return this.csrVerifier.verify(der);
  }

  /**
   * Periodic upkeep (the server runs it every few minutes; tests after moving the clock):
   * re-issue CRLs that are due, replace OCSP responders before they expire, database housekeeping,
   * and integrate the ledger (so a checkpoint is at most one maintenance interval behind).
   */
  async maintain(): Promise<{ crlsIssued: number; respondersRotated: string[]; tufRefreshed: string[]; rolloutsAdvanced: string[]; ledger: IntegrationResult }> {
    const products = await this.identity.store.listProducts();
    const system = { kind: 'system', name: 'maintenance' } as const;
    const respondersRotated = await rotateOcspResponders(this.identity, products, system);
    for (const sku of respondersRotated) {
      const product = products.find((p) => p.sku === sku);
      if (product) this.ocsp.responderChanged(product.issuingCaId);
    }
    const crlsIssued = (await this.issueDueCrls()).length;
    const tufRefreshed = await this.refreshTufMetadata(products);
    const rolloutsAdvanced = await advanceSoakedRollouts(this.updates);
    // releases whose matching a stop interrupted (or made before the register) are matched now
    await indexPendingReleases(this.vulns);
    await this.ocsp.pruneStored();
    await purgeExpiredNonces(this.attestation);
    await this.access.store.pruneKrls(this.clock.now());
    await this.#blobs.sweep();
    await this.database.maintain();
    const ledger = await this.ledger.integrate();
    return { crlsIssued, respondersRotated, tufRefreshed, rolloutsAdvanced, ledger };
  }

  /** Re-signs TUF timestamps and snapshots due (half their validity gone): devices never see them expire. */
  async refreshTufMetadata(products: ProductRecord[]): Promise<string[]> {
    const refreshed: string[] = [];
    for (const product of products) if (await refreshOnlineMetadata(this.updates, product)) refreshed.push(product.sku);
    return refreshed;
  }

  /**
   * Issues the CRLs that are due, for the root and every product's issuing CA: the batch that
   * carries status changes into CRLs (the server runs it every `crl.batchDelaySeconds`).
   */
  async issueDueCrls(): Promise<StoredCrl[]> {
    const products = await this.identity.store.listProducts();
    const root = await this.identity.store.findRootCa();
    return this.crls.issueDue([...(root ? [root.id] : []), ...products.map((p) => p.issuingCaId)]);
  }

  async close(): Promise<void> {
    await this.#statusFeed?.close();
    await this.ledger.close();
    await this.csrVerifier.close();
    await this.database.close();
  }
}
