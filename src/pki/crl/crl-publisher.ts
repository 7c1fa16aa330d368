import { newId } from '../../core/ids.ts';
import { TrustplaneError } from '../../core/errors.ts';
import type { IdentityContext } from '../identity-context.ts';
import { publicationUrls } from '../profiles.ts';
import type { CaRecord } from '../records.types.ts';
import type { RevocationRow, RevocationStore, StoredCrl } from '../revocation-store.types.ts';
import { buildCrlParts } from './build-crl.ts';
import { crlEntriesDer } from './crl-entry.ts';

export interface CrlPolicy {
  /** thisUpdate to nextUpdate of every CRL; a CRL is re-issued when half of it has passed */
  validitySeconds: number;
  /** the longest a status change waits for the next CRL that lists it (the timer's period) */
  batchDelaySeconds: number;
  /** a complete CRL at most this often while changes come; delta CRLs carry them in between */
  fullIntervalSeconds: number;
  /** ...unless the complete CRL is smaller than this: then every batch re-issues it */
  fullAlwaysBelowBytes: number;
  /** CRLs up to this size are served from memory; larger ones part by part from the store */
  memoryCacheBytes: number;
  /** certificates read per query while a complete CRL is built */
  pageSize: number;
}

export const defaultCrlPolicy: Omit<CrlPolicy, 'validitySeconds'> = {
  batchDelaySeconds: 60,
  fullIntervalSeconds: 3600,
  fullAlwaysBelowBytes: 1024 * 1024,
  memoryCacheBytes: 64 * 1024 * 1024,
  pageSize: 10_000,
};

/** A CRL to serve: its facts and, when small enough, its bytes in memory. */
export interface ServedCrl {
  crl: StoredCrl;
  parts: readonly Uint8Array[] | undefined;
}

/**
 * Issues and serves each CA's CRLs (RFC 5280 §5): complete CRLs and their delta CRLs (§5.2.4).
 * A status change never builds a CRL in the request that made it: the next batch (at most
 * `batchDelaySeconds` later, run by the server's timer or an operator's publish) does, once for
 * every change since the CRL before. Serving reads the newest stored CRL and sends its bytes.
 */
export class CrlPublisher {
  readonly #ctx: IdentityContext;
  readonly #store: RevocationStore;
  readonly #policy: CrlPolicy;
  /** per CA: the issuing runs one after another in this process */
  readonly #turns = new Map<string, Promise<unknown>>();
  readonly #memory = new Map<string, { crlNumber: bigint; parts: readonly Uint8Array[] }>();

  constructor(ctx: IdentityContext, store: RevocationStore, policy: CrlPolicy) {
    this.#ctx = ctx;
    this.#store = store;
    this.#policy = policy;
  }

  get policy(): CrlPolicy {
    return this.#policy;
  }

  /** The timer's work: for each CA, the CRL that is due, if any. Returns the CRLs issued. */
  async issueDue(caIds: readonly string[]): Promise<StoredCrl[]> {
    const issued: StoredCrl[] = [];
    for (const caId of caIds) issued.push(...(await this.#inTurn(caId, () => this.#issueDue(caId))));
    return issued;
  }

  /** An operator's "publish now": a complete CRL of the state as committed now, and its delta. */
  async issueNow(caId: string): Promise<{ full: StoredCrl; delta: StoredCrl }> {
    return this.#inTurn(caId, async () => {
      const ca = await this.#requireSigningCa(caId);
      const full = await this.#issueFull(ca);
      return { full, delta: await this.#issueDelta(ca, full) };
    });
  }

  /**
   * The newest complete or delta CRL, as stored: never built here, except the very first of a CA
   * (an empty list, made once). One indexed read per call; the bytes come from memory when small.
   */
  async current(caId: string, kind: 'full' | 'delta'): Promise<ServedCrl> {
    let crl = await this.#store.latestCrl(caId, kind);
    if (!crl) {
      await this.#requireSigningCa(caId);
      const { full, delta } = await this.issueNow(caId);
      crl = kind === 'full' ? full : delta;
    }
    return { crl, parts: await this.#inMemory(crl) };
  }

  /** A stored CRL's bytes, part by part. */
  parts(crl: StoredCrl): AsyncIterable<Uint8Array> {
    return this.#store.crlParts(crl);
  }

  async #issueDue(caId: string): Promise<StoredCrl[]> {
    const ca = await this.#ctx.store.findCa(caId);
    if (!ca || ca.kind === 'ocsp-responder') return [];
    const latest = await this.#store.latestCrl(caId);
    const full = latest?.kind === 'full' ? latest : await this.#store.latestCrl(caId, 'full');
    const now = this.#ctx.clock.now();
    // No complete CRL yet, one made before deltas existed (no snapshot), or one half-way to stale.
    if (!latest || !full || full.coversSnapshot === null || this.#refreshDue(full, now)) return this.#fullAndDelta(ca);
    const pending = latest.coversSnapshot === null || (await this.#store.hasChangesSince(caId, latest.coversSnapshot));
    if (pending) {
      const fullAge = (now.getTime() - full.thisUpdate.getTime()) / 1000;
      if (full.byteLength < this.#policy.fullAlwaysBelowBytes || fullAge >= this.#policy.fullIntervalSeconds) return this.#fullAndDelta(ca);
      return [await this.#issueDelta(ca, full)];
    }
    // Nothing changed: a delta is re-issued before it goes stale, as a complete CRL is.
    if (latest.kind === 'delta' && this.#refreshDue(latest, now)) return [await this.#issueDelta(ca, full)];
    return [];
  }

  async #fullAndDelta(ca: CaRecord): Promise<StoredCrl[]> {
    const full = await this.#issueFull(ca);
    return [full, await this.#issueDelta(ca, full)];
  }

  /**
   * A complete CRL: every certificate of the CA that is revoked, on hold or superseded and not yet
   * expired, read page by page after the snapshot is taken (each entry as new as that snapshot or
   * newer), encoded page by page, signed over the parts, stored part by part.
   */
  async #issueFull(ca: CaRecord): Promise<StoredCrl> {
    const snapshot = await this.#store.currentSnapshot();
    const now = this.#ctx.clock.now();
    let entries = 0;
    const store = this.#store;
    const pageSize = this.#policy.pageSize;
    async function* pages(): AsyncIterable<Uint8Array> {
      for (let after = ''; ; ) {
        const rows = await store.revokedPage(ca.id, after, now, pageSize);
        if (rows.length === 0) return;
        entries += rows.length;
        yield crlEntriesDer(rows.map((r) => listed(r, now)));
        after = rows[rows.length - 1]!.serial;
        if (rows.length < pageSize) return;
      }
    }
    return this.#issue(ca, now, snapshot, 'full', null, pages(), () => entries);
  }

  /** A delta CRL (RFC 5280 §5.2.4) of `base`: every certificate whose status changed since base's snapshot. */
  async #issueDelta(ca: CaRecord, base: StoredCrl): Promise<StoredCrl> {
    if (base.coversSnapshot === null) throw new TrustplaneError('INTERNAL', 'a delta CRL needs a base with a snapshot');
    const snapshot = await this.#store.currentSnapshot();
    const now = this.#ctx.clock.now();
    const changes = await this.#store.changesSince(ca.id, base.coversSnapshot);
    // §5.3.1: a certificate that left hold since the base is listed with removeFromCRL.
    const page = crlEntriesDer(changes.map((r) => (r.status === 'good' ? { serialHex: r.serial, revokedAt: now, reason: 'removeFromCRL' as const } : listed(r, now))));
    return this.#issue(ca, now, snapshot, 'delta', base.crlNumber, [page], () => changes.length);
  }

  async #issue(
    ca: CaRecord,
    now: Date,
    snapshot: string,
    kind: 'full' | 'delta',
    baseCrlNumber: bigint | null,
    entryPages: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    entries: () => number,
  ): Promise<StoredCrl> {
    const signer = await this.#ctx.keys.signer(ca.keyId);
    const latest = await this.#store.latestCrl(ca.id);
    const crlNumber = (latest?.crlNumber ?? 0n) + 1n;
    const nextUpdate = new Date(now.getTime() + this.#policy.validitySeconds * 1000);
    const built = await buildCrlParts({
      issuerCertDer: ca.certificate,
      signer,
      crlNumber,
      thisUpdate: now,
      nextUpdate,
      entryPages,
      ...(baseCrlNumber === null ? { freshestCrlUrl: publicationUrls(this.#ctx.config.publicUrl(), ca.id).deltaCrl } : { delta: { baseCrlNumber } }),
    });
    const parts = storageParts(built.parts);
    const crl = {
      caId: ca.id,
      crlNumber,
      kind,
      baseCrlNumber,
      thisUpdate: now,
      nextUpdate,
      coversSnapshot: snapshot,
      entries: entries(),
      byteLength: built.byteLength,
      bytes: { partsId: newId('crl', this.#ctx.random) },
    };
    // RFC 5280 §5.2.3: numbers only grow. Another server on the same database took this number
    // first: its CRL stands, and whatever this one saw that it did not is pending for the next.
    if (!(await this.#store.saveCrl(crl, parts))) {
      const theirs = await this.#store.latestCrl(ca.id, kind);
      if (!theirs) throw new TrustplaneError('INTERNAL', 'a CRL number was taken by a CRL that cannot be read');
      return theirs;
    }
    if (crl.byteLength <= this.#policy.memoryCacheBytes) this.#memory.set(`${ca.id}/${kind}`, { crlNumber, parts });
    return crl;
  }

  async #inMemory(crl: StoredCrl): Promise<readonly Uint8Array[] | undefined> {
    const key = `${crl.caId}/${crl.kind}`;
    const held = this.#memory.get(key);
    if (held?.crlNumber === crl.crlNumber) return held.parts;
    if (crl.byteLength > this.#policy.memoryCacheBytes) return undefined;
    const parts: Uint8Array[] = [];
    for await (const p of this.#store.crlParts(crl)) parts.push(p);
    // Another request may have loaded a newer one meanwhile: keep the newest.
    const now = this.#memory.get(key);
    if (!now || now.crlNumber < crl.crlNumber) this.#memory.set(key, { crlNumber: crl.crlNumber, parts });
    return parts;
  }

  #refreshDue(crl: StoredCrl, now: Date): boolean {
    const half = (crl.nextUpdate.getTime() - crl.thisUpdate.getTime()) / 2;
    return now.getTime() >= crl.thisUpdate.getTime() + half;
  }

  async #requireSigningCa(caId: string): Promise<CaRecord> {
    const ca = await this.#ctx.store.findCa(caId);
    if (!ca || ca.kind === 'ocsp-responder') throw new TrustplaneError('NOT_FOUND', 'no such CA');
    return ca;
  }

  #inTurn<T>(caId: string, run: () => Promise<T>): Promise<T> {
    const before = this.#turns.get(caId) ?? Promise.resolve();
    const mine = before.then(run, run);
    const settled = mine.then(
      () => undefined,
      () => undefined,
    );
    this.#turns.set(caId, settled);
    void settled.then(() => {
      if (this.#turns.get(caId) === settled) this.#turns.delete(caId);
    });
    return mine;
  }
}

/** How a not-good certificate is listed; fail closed: a row without its time is listed as of now. */
function listed(r: RevocationRow, now: Date): { serialHex: string; revokedAt: Date; reason: NonNullable<RevocationRow['reason']> } {
  const reason = r.reason ?? (r.status === 'hold' ? 'certificateHold' : r.status === 'superseded' ? 'superseded' : 'unspecified');
  return { serialHex: r.serial, revokedAt: r.revokedAt ?? now, reason };
}

/** Parts as stored: the small structural pieces joined, the entry pages (hundreds of kB) kept as they are. */
function storageParts(parts: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let small: Uint8Array[] = [];
  const flush = (): void => {
    if (small.length > 0) out.push(Buffer.concat(small));
    small = [];
  };
  for (const p of parts) {
    if (p.length >= 64 * 1024) {
      flush();
      out.push(p);
    } else small.push(p);
  }
  flush();
  return out;
}
