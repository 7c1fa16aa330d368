import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { TrustplaneError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Random } from '../core/random.ts';
import { isRole, roles, type Role } from '../core/roles.ts';
import type { EventInput } from '../pki/records.types.ts';
import { SKU_PATTERN } from '../pki/validation.ts';
import { tokenAccessPath } from './access-path-tokens.ts';
import { defaultAccessPathPolicy, type AccessPathPolicy, type NewAccessPath } from './access-paths.types.ts';

/** An API bearer token as stored: only its SHA-256, with owner, role, expiry (DESIGN rule 3). */
export interface ApiTokenRecord {
  id: string;
  tokenHash: Uint8Array;
  role: Role;
  owner: string;
  /** the product SKUs it may act for: always some for `factory`; for `operator`, none means every product */
  products: string[];
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

export interface ApiTokenStore {
  findTokenByHash(hash: Uint8Array): Promise<ApiTokenRecord | undefined>;
  listTokens(): Promise<ApiTokenRecord[]>;
  /** with `accessPath`: registers it in the same transaction (its own `access_path.registered` event) */
  insertToken(record: ApiTokenRecord, event: EventInput, accessPath?: NewAccessPath): Promise<void>;
  /** registers the paths whose token has no live one yet, each with its event; how many were new */
  registerAccessPaths(paths: NewAccessPath[]): Promise<number>;
  /** false when no such live token; retires the token's access path, if it has one, in the same transaction */
  revokeToken(id: string, at: Date, event: EventInput): Promise<boolean>;
}

export interface TokenPolicy {
  maxTtlSeconds: number;
  /**
   * How long a process may reuse a token record it read, instead of a query per request.
   * Expiry is still checked on every request, and a revocation through this process takes
   * effect at once; one through another server process takes effect within this time.
   */
  recordCacheSeconds: number;
}

export const defaultTokenPolicy: TokenPolicy = { maxTtlSeconds: 12 * 3600, recordCacheSeconds: 2 };

const MAX_CACHED_TOKENS = 10_000;

const PREFIX = 'tp_';

/** The roles whose tokens may be limited to named products. */
export const productScopedRoles: readonly Role[] = ['operator', 'factory', 'technician', 'approver'];

export function hashToken(secret: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(secret, 'utf8').digest());
}

export class ApiTokens {
  readonly #store: ApiTokenStore;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #policy: TokenPolicy;
  readonly #accessPathPolicy: AccessPathPolicy;
  /** token hash (hex) → the record read, or the read under way (concurrent requests share it) */
  readonly #recent = new Map<string, { readAtMs: number; record: Promise<ApiTokenRecord | undefined> }>();

  constructor(store: ApiTokenStore, clock: Clock, random: Random, policy: TokenPolicy, accessPathPolicy: AccessPathPolicy = defaultAccessPathPolicy) {
    this.#store = store;
    this.#clock = clock;
    this.#random = random;
    this.#policy = policy;
    this.#accessPathPolicy = accessPathPolicy;
  }

  /**
   * A new token. `productExists`, when given (the API gives it), refuses a scope naming a product
   * that does not exist: such a token would look scoped and act for nothing, or for a product
   * created later under that SKU.
   */
  async create(
    args: { role: unknown; owner: unknown; ttlSeconds: unknown; products?: unknown },
    createdBy: string,
    productExists?: (sku: string) => Promise<boolean>,
  ): Promise<{ record: ApiTokenRecord; secret: string }> {
    if (!isRole(args.role)) throw new TrustplaneError('VALIDATION_FAILED', `role must be one of ${roles.join(', ')}`, { details: { field: 'role' } });
    // No control characters: PostgreSQL text cannot hold NUL, and owners are shown in logs and the ledger.
    if (typeof args.owner !== 'string' || args.owner.trim() === '' || args.owner.length > 200 || /[\x00-\x1f\x7f]/.test(args.owner)) {
      throw new TrustplaneError('VALIDATION_FAILED', 'owner must name a person or system (1-200 characters)', { details: { field: 'owner' } });
    }
    if (typeof args.ttlSeconds !== 'number' || !Number.isInteger(args.ttlSeconds) || args.ttlSeconds < 60) {
      throw new TrustplaneError('VALIDATION_FAILED', 'ttlSeconds must be an integer of at least 60', { details: { field: 'ttlSeconds' } });
    }
    if (args.ttlSeconds > this.#policy.maxTtlSeconds) {
      throw new TrustplaneError('TOKEN_TTL_TOO_LONG', `tokens live at most ${this.#policy.maxTtlSeconds} s`);
    }
    const products = args.products === undefined ? [] : args.products;
    if (!Array.isArray(products) || products.some((p) => typeof p !== 'string' || !SKU_PATTERN.test(p))) {
      throw new TrustplaneError('VALIDATION_FAILED', 'products must be a list of SKUs', { details: { field: 'products' } });
    }
    if (args.role === 'factory' && products.length === 0) {
      throw new TrustplaneError('VALIDATION_FAILED', 'a factory token must name the products it may enroll for', { details: { field: 'products' } });
    }
    // Operator and factory tokens act only for the products they name (server/auth.ts). Admin and
    // auditor act on everything (tokens, products, the whole ledger): a scope would only look like one.
    if (products.length > 0 && !productScopedRoles.includes(args.role)) {
      throw new TrustplaneError('VALIDATION_FAILED', `a ${args.role} token acts on every product: only operator, factory, technician and approver tokens name products`, { details: { field: 'products' } });
    }
    for (const sku of products as string[]) {
      if (productExists && !(await productExists(sku))) throw new TrustplaneError('PRODUCT_NOT_FOUND', `no product ${sku}`, { details: { field: 'products' } });
    }
    const now = this.#clock.now();
    const secret = PREFIX + Buffer.from(this.#random.bytes(32)).toString('base64url');
    const record: ApiTokenRecord = {
      id: newId('tok', this.#random),
      tokenHash: hashToken(secret),
      role: args.role,
      owner: args.owner,
      products: products as string[],
      createdBy,
      createdAt: now,
      expiresAt: new Date(now.getTime() + args.ttlSeconds * 1000),
      revokedAt: null,
    };
    // An admin or operator token is a privileged path into the fleet: on the register from its first moment (docs/design/access-paths.md).
    const accessPath = tokenAccessPath(record, createdBy, now, this.#accessPathPolicy, this.#random);
    const event: EventInput = {
      actor: createdBy,
      action: 'token.created',
      subjectType: 'token',
      subjectId: record.id,
      details: { role: record.role, owner: record.owner, products: record.products, expiresAt: record.expiresAt.toISOString() },
    };
    await this.#store.insertToken(record, event, accessPath);
    return { record, secret };
  }

  /** Authenticates a bearer secret. Fail closed: anything unproven is refused with its reason. */
  async authenticate(secret: string | undefined): Promise<ApiTokenRecord> {
    if (!secret) throw new TrustplaneError('TOKEN_MISSING');
    if (!secret.startsWith(PREFIX) || secret.length > 200) throw new TrustplaneError('TOKEN_INVALID');
    const hash = hashToken(secret);
    const record = await this.#lookup(hash);
    if (!record || !timingSafeEqual(Buffer.from(record.tokenHash), Buffer.from(hash))) throw new TrustplaneError('TOKEN_INVALID');
    if (record.revokedAt) throw new TrustplaneError('TOKEN_REVOKED');
    if (this.#clock.now().getTime() >= record.expiresAt.getTime()) throw new TrustplaneError('TOKEN_EXPIRED');
    return record;
  }

  #lookup(hash: Uint8Array): Promise<ApiTokenRecord | undefined> {
    const key = Buffer.from(hash).toString('hex');
    const nowMs = performance.now(); // cache freshness is process time, not the domain clock
    const hit = this.#recent.get(key);
    if (hit && nowMs - hit.readAtMs < this.#policy.recordCacheSeconds * 1000) return hit.record;
    const record = this.#store.findTokenByHash(hash);
    if (this.#policy.recordCacheSeconds > 0) {
      if (this.#recent.size >= MAX_CACHED_TOKENS) this.#recent.delete(this.#recent.keys().next().value!);
      this.#recent.set(key, { readAtMs: nowMs, record });
      // Unknown tokens and failed reads are not remembered.
      void record.then((r) => r === undefined && this.#recent.delete(key), () => this.#recent.delete(key));
    }
    return record;
  }

  /**
   * Tokens made before the register (migration 0018) get their paths at the server's start: every
   * live admin or operator token without one. Idempotent; several servers starting at once register each once.
   */
  async registerExistingAccessPaths(actor: string): Promise<number> {
    const now = this.#clock.now();
    const live = (await this.#store.listTokens()).filter((t) => t.revokedAt === null && t.expiresAt.getTime() > now.getTime());
    const paths = live.flatMap((t) => tokenAccessPath(t, actor, now, this.#accessPathPolicy, this.#random) ?? []);
    return this.#store.registerAccessPaths(paths);
  }

  list(): Promise<ApiTokenRecord[]> {
    return this.#store.listTokens();
  }

  async revoke(id: string, actor: string): Promise<void> {
    const ok = await this.#store.revokeToken(id, this.#clock.now(), { actor, action: 'token.revoked', subjectType: 'token', subjectId: id, details: {} });
    if (!ok) throw new TrustplaneError('NOT_FOUND', 'no such live token');
    for (const [key, entry] of this.#recent) if ((await entry.record.catch(() => undefined))?.id === id) this.#recent.delete(key);
  }
}
