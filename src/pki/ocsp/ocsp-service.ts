import { createHash } from 'node:crypto';
import { isTrustplaneError } from '../../core/errors.ts';
import type { CertificateStatusListener } from '../certificate-status-listener.ts';
import type { IdentityContext } from '../identity-context.ts';
import type { CaRecord } from '../records.types.ts';
import type { CertificateRevocationState, RevocationStore } from '../revocation-store.types.ts';
import { certIdFields, parseOcspRequest, type OcspCertRequest, type ParsedOcspRequest } from './ocsp-request.ts';
import { certIdMatchesIssuer, ocspSerialHex, prepareIssuer, type PreparedIssuer } from './ocsp-responder.ts';
import { buildOcspErrorResponse, buildOcspResponse, prepareResponder, type OcspCertStatus, type OcspSingle, type PreparedResponder } from './ocsp-response.ts';

/** One OCSP answer, with what its HTTP caching headers are made from (RFC 5019 §6.2) when it has times. */
export interface OcspAnswer {
  der: Uint8Array;
  /** thisUpdate, nextUpdate and the answer's SHA-1 (ETag); absent for error answers and nonce answers */
  cache?: { thisUpdate: Date; nextUpdate: Date; etag: string };
}

/** How answers were made, for the operator (and the benchmark): pre-produced ones dominate. */
export interface OcspCounters {
  /** pre-produced answers served from memory */
  memory: number;
  /** pre-produced answers read from the store (after a restart, or another process made them) */
  stored: number;
  /** answers signed because none was stored (first request for a CertID, a status change, staleness) */
  produced: number;
  /** answers to requests with a nonce (RFC 8954) or several CertIDs: signed for the request */
  fresh: number;
  /** malformedRequest and unauthorized */
  errors: number;
}

interface Answer extends OcspAnswer {
  cache: { thisUpdate: Date; nextUpdate: Date; etag: string };
  serial: string;
  /** made again from here on (half its validity) */
  refreshAtMs: number;
  /** the status it says; undefined when read back from the store (a nonce answer then asks the store) */
  status: OcspCertStatus | undefined;
}

interface CaContext {
  ca: CaRecord;
  issuer: PreparedIssuer;
  responder: PreparedResponder;
  responderKeyId: string;
  loadedAtMs: number;
}

export interface OcspServiceOptions {
  validitySeconds: number;
  /** told of a store or signing failure (answered internalError) */
  onInternalError?: (cause: unknown) => void;
  /** pre-produced answers kept in memory (each ~0.3–1 kB) */
  cacheEntries: number;
}

/** A CA's responder is looked up again this often, so that a rotation by another process is seen. */
const CA_RELOAD_MS = 60_000;

/**
 * The OCSP responder (RFC 6960) of every CA, answering from pre-produced responses (RFC 6960 §2.4
 * "pre-produced", RFC 5019): one signed answer per CertID, made the first time it is asked for or
 * when its certificate's status changes, stored, and kept in memory; re-made when half its
 * validity has passed. A repeated request is a map lookup: no parse, no database,
 * no signature. A request with a nonce gets its own signature (RFC 8954), counted apart.
 *
 * Freshness across a status change (CertificateStatusListener): before the change commits, the
 * certificate's answers leave memory and none is kept until it has settled; an answer being made
 * meanwhile from the old state is served to its own request but never kept. So the first request
 * after the commit makes (or reads) an answer from the committed state.
 */
export class OcspService implements CertificateStatusListener {
  readonly #ctx: IdentityContext;
  readonly #store: RevocationStore;
  readonly #options: OcspServiceOptions;
  readonly #cas = new Map<string, Promise<CaContext | undefined>>();
  /** `${caId}|${CertID hex}` -> answer */
  readonly #answers = new Map<string, Answer>();
  /** `${caId}|${request bytes}` -> answer key: a repeated request needs no parse */
  readonly #requests = new Map<string, string>();
  /** serial -> answer keys, to forget them when the status changes */
  readonly #keysBySerial = new Map<string, Set<string>>();
  /**
   * serial -> changes in flight. A change (before commit, at settle) takes the next number of
   * #seq and leaves it in #lastChange; an answer begun at number n is kept only if its serial's
   * last change is at most n, and nothing was forgotten wholesale since (#forgottenAt). Entries of
   * #lastChange older than every answer in the making are dropped (#inMaking counts them by start).
   */
  readonly #changing = new Map<string, number>();
  readonly #lastChange = new Map<string, number>();
  readonly #inMaking = new Map<number, number>();
  #seq = 0;
  #forgottenAt = 0;
  readonly #producing = new Map<string, { serial: string; begun: number; answer: Promise<Answer> }>();
  readonly counters: OcspCounters = { memory: 0, stored: 0, produced: 0, fresh: 0, errors: 0 };
  #memoryTrusted = true;

  constructor(ctx: IdentityContext, store: RevocationStore, options: OcspServiceOptions) {
    this.#ctx = ctx;
    this.#store = store;
    this.#options = options;
  }

  /** Answers one OCSP request for the CA `caId`. Never throws on client input; fails closed (internalError, never good). */
  async respond(caId: string, requestDer: Uint8Array): Promise<OcspAnswer> {
    const requestKey = `${caId}|${Buffer.from(requestDer.buffer, requestDer.byteOffset, requestDer.byteLength).toString('latin1')}`;
    const known = this.#requests.get(requestKey);
    if (known !== undefined) {
      const answer = this.#answers.get(known);
      if (answer && this.#usable(answer)) {
        this.counters.memory++;
        return answer;
      }
    }
    const context = await this.#context(caId);
    if (!context) {
      this.counters.errors++;
      return { der: buildOcspErrorResponse('unauthorized') }; // RFC 6960 §2.3: not a CA we answer for
    }
    let parsed;
    try {
      parsed = parseOcspRequest(requestDer);
    } catch (e) {
      this.counters.errors++;
      if (isTrustplaneError(e) && e.code === 'OCSP_MALFORMED_REQUEST') return { der: buildOcspErrorResponse('malformedRequest') };
      return { der: buildOcspErrorResponse('internalError') };
    }
    try {
      const [single] = parsed.requests;
      if (parsed.nonce !== undefined || parsed.requests.length !== 1 || !single) return await this.#fresh(context, parsed);
      const answer = await this.#answer(context, single);
      if (this.#keepable(answer.serial) && this.#memoryTrusted) remember(this.#requests, requestKey, `${caId}|${hex(single.certIdDer)}`, this.#options.cacheEntries * 2);
      return answer;
    } catch (cause) {
      // Fail closed (RFC 6960 §2.3): a store or signing failure is internalError, never good.
      this.counters.errors++;
      this.#options.onInternalError?.(cause);
      return { der: buildOcspErrorResponse('internalError') };
    }
  }

  /**
   * Another server committed these status changes (announced through the store): forget their
   * answers and make again those that were asked for.
   */
  changedElsewhere(serials: readonly string[]): void {
    this.changing(serials);
    this.settled(serials, true);
  }

  /**
   * Whether answers may be kept in memory: not while changes made elsewhere could go unheard (the
   * announcement channel is down). Turning it on or off forgets everything kept so far.
   */
  setMemoryTrusted(trusted: boolean): void {
    this.#memoryTrusted = trusted;
    this.#answers.clear();
    this.#requests.clear();
    this.#keysBySerial.clear();
    // answers being made now read the store before this: none may be kept
    this.#forgottenAt = ++this.#seq;
  }

  /** Maintenance: stored answers past their nextUpdate are never served again (a CertID asked again gets a new one). */
  pruneStored(): Promise<number> {
    return this.#store.pruneOcspResponses(this.#ctx.clock.now());
  }

  /** The CA's responder changed (rotation): answers are made by the new one from now on. */
  responderChanged(caId: string): void {
    this.#cas.delete(caId);
  }

  changing(serials: readonly string[]): void {
    for (const serial of serials) {
      this.#changing.set(serial, (this.#changing.get(serial) ?? 0) + 1);
      this.#forget(serial);
    }
  }

  settled(serials: readonly string[], committed: boolean): void {
    const remade = new Set<string>();
    for (const serial of serials) {
      const left = (this.#changing.get(serial) ?? 1) - 1;
      if (left > 0) this.#changing.set(serial, left);
      else this.#changing.delete(serial);
      const keys = this.#forget(serial);
      if (committed) for (const k of keys) remade.add(k);
    }
    // RFC 6960 §2.4: the new status is signed now, not at the next request: re-make what was asked for before.
    for (const key of remade) {
      const [caId, certIdHex] = splitKey(key);
      void this.#context(caId)
        .then(async (context) => {
          const request = certRequestFromDer(certIdHex);
          if (context && request) await this.#answer(context, request);
        })
        .catch(() => undefined); // the next request makes it instead
    }
  }

  /** A pre-produced answer for one CertID: from memory, from the store, or made now (once, however many ask). */
  async #answer(context: CaContext, request: OcspCertRequest): Promise<Answer> {
    const key = `${context.ca.id}|${hex(request.certIdDer)}`;
    const held = this.#answers.get(key);
    if (held && this.#usable(held)) {
      this.counters.memory++;
      return held;
    }
    // Join an answer already being made, unless its certificate changed since it began: then it
    // may say the old status, and this request came after the change.
    const making = this.#producing.get(key);
    if (making && this.#unchanged(making.serial, making.begun)) return making.answer;
    return this.#make(context, request, key);
  }

  #make(context: CaContext, request: OcspCertRequest, key: string): Promise<Answer> {
    const serial = ocspKeySerial(context, request);
    const begun = this.#begin();
    const entry = { serial, begun, answer: this.#makeFrom(context, request, key, serial, begun) };
    this.#producing.set(key, entry);
    return entry.answer.finally(() => {
      this.#end(begun);
      if (this.#producing.get(key) === entry) this.#producing.delete(key);
    });
  }

  async #makeFrom(context: CaContext, request: OcspCertRequest, key: string, serial: string, begun: number): Promise<Answer> {
    const caId = context.ca.id;
    const now = this.#ctx.clock.now();

    let answer: Answer | undefined;
    const stored = await this.#store.findOcspResponse(caId, request.certIdDer);
    if (stored && stored.responderKeyId === context.responderKeyId && this.#freshAt(stored, now)) {
      this.counters.stored++;
      answer = answerOf(stored.der, stored.thisUpdate, stored.nextUpdate, serial, undefined);
    } else {
      const state = serial === '' ? undefined : await this.#store.revocationState(caId, serial);
      const status = statusOf(state);
      const nextUpdate = new Date(now.getTime() + this.#options.validitySeconds * 1000);
      const der = await buildOcspResponse({ responder: context.responder, responses: [{ request, status, thisUpdate: now, nextUpdate }], nonce: undefined, producedAt: now });
      this.counters.produced++;
      answer = answerOf(der, now, nextUpdate, serial, status);
      // Stored so that a restart or another server need not sign it again; the status_xid keeps it honest.
      if (this.#unchanged(serial, begun)) {
        await this.#store.saveOcspResponse({
          caId,
          certId: request.certIdDer,
          serial: serial === '' ? '-' : serial,
          status: status.kind,
          statusXid: state?.statusXid ?? null,
          responderKeyId: context.responderKeyId,
          thisUpdate: wholeSeconds(now),
          nextUpdate: wholeSeconds(nextUpdate),
          der,
        });
      }
    }
    if (this.#unchanged(serial, begun) && this.#memoryTrusted) this.#keep(key, answer);
    return answer;
  }

  /**
   * Nonce (RFC 8954) or several CertIDs: an answer for this request alone, signed for it; each
   * CertID's status from its pre-produced answer (so a nonce request costs a signature, not a read).
   */
  async #fresh(context: CaContext, parsed: ParsedOcspRequest): Promise<OcspAnswer> {
    this.counters.fresh++;
    const now = this.#ctx.clock.now();
    const nextUpdate = new Date(now.getTime() + this.#options.validitySeconds * 1000);
    const responses: OcspSingle[] = [];
    for (const request of parsed.requests) responses.push({ request, status: await this.#statusFor(context, request), thisUpdate: now, nextUpdate });
    return { der: await buildOcspResponse({ responder: context.responder, responses, nonce: parsed.nonce, producedAt: now }) };
  }

  async #statusFor(context: CaContext, request: OcspCertRequest): Promise<OcspCertStatus> {
    const answer = await this.#answer(context, request);
    if (answer.status) return answer.status;
    // Read back from the store (no status kept with it): ask the certificate once, and remember.
    const begun = this.#begin();
    try {
      const status = answer.serial === '' ? ({ kind: 'unknown' } as const) : statusOf(await this.#store.revocationState(context.ca.id, answer.serial));
      if (this.#unchanged(answer.serial, begun)) answer.status = status;
      return status;
    } finally {
      this.#end(begun);
    }
  }

  /**
   * Served while less than half its validity has passed (RFC 5019 §6.1: responses are refreshed well
   * before nextUpdate); after that the next request for it makes a new one (one signature per
   * CertID per half-validity, shared by every request waiting for it).
   */
  #usable(answer: Answer): boolean {
    const now = this.#ctx.clock.now().getTime();
    return now < answer.refreshAtMs && now >= answer.cache.thisUpdate.getTime() - 1000;
  }

  #freshAt(stored: { thisUpdate: Date; nextUpdate: Date }, now: Date): boolean {
    const half = (stored.nextUpdate.getTime() - stored.thisUpdate.getTime()) / 2;
    return now.getTime() < stored.thisUpdate.getTime() + half && now.getTime() >= stored.thisUpdate.getTime() - 1000;
  }

  #keepable(serial: string): boolean {
    return !this.#changing.has(serial);
  }

  #unchanged(serial: string, begun: number): boolean {
    return !this.#changing.has(serial) && (this.#lastChange.get(serial) ?? 0) <= begun && this.#forgottenAt <= begun;
  }

  /** An answer (or a status read) is being made from the store's state as of now: its number. */
  #begin(): number {
    const n = this.#seq;
    this.#inMaking.set(n, (this.#inMaking.get(n) ?? 0) + 1);
    return n;
  }

  #end(begun: number): void {
    const left = (this.#inMaking.get(begun) ?? 1) - 1;
    if (left > 0) this.#inMaking.set(begun, left);
    else this.#inMaking.delete(begun);
    // Changes older than every answer in the making can no longer make one stale.
    if (this.#inMaking.size === 0) this.#lastChange.clear();
    else if (this.#lastChange.size > 10_000) {
      const oldest = Math.min(...this.#inMaking.keys());
      for (const [serial, at] of this.#lastChange) if (at <= oldest && !this.#changing.has(serial)) this.#lastChange.delete(serial);
    }
  }

  #keep(key: string, answer: Answer): void {
    remember(this.#answers, key, answer, this.#options.cacheEntries, (evicted) => this.#keysBySerial.get(evicted.serial)?.delete(key));
    let keys = this.#keysBySerial.get(answer.serial);
    if (!keys) this.#keysBySerial.set(answer.serial, (keys = new Set()));
    keys.add(key);
  }

  /** Drops the serial's answers from memory; returns their keys. */
  #forget(serial: string): string[] {
    this.#lastChange.set(serial, ++this.#seq);
    const keys = [...(this.#keysBySerial.get(serial) ?? [])];
    for (const key of keys) this.#answers.delete(key);
    this.#keysBySerial.delete(serial);
    return keys;
  }

  #context(caId: string): Promise<CaContext | undefined> {
    let loading = this.#cas.get(caId);
    if (!loading) {
      loading = this.#load(caId);
      this.#cas.set(caId, loading);
      loading.catch(() => this.#cas.delete(caId));
    } else {
      void loading.then((c) => {
        if (c && Date.now() - c.loadedAtMs > CA_RELOAD_MS && this.#cas.get(caId) === loading) this.#cas.delete(caId);
      });
    }
    return loading;
  }

  async #load(caId: string): Promise<CaContext | undefined> {
    const ca = await this.#ctx.store.findCa(caId);
    if (!ca || ca.kind === 'ocsp-responder') return undefined;
    // RFC 6960 §4.2.2.2: an issuing CA answers through its delegated responder; the root signs its own.
    const responderCa = ca.kind === 'issuing' ? await this.#ctx.store.findCurrentOcspResponder(ca.id) : undefined;
    const signer = await this.#ctx.keys.signer(responderCa?.keyId ?? ca.keyId);
    return {
      ca,
      issuer: prepareIssuer({ certDer: ca.certificate }),
      responder: prepareResponder({ signer, certDer: responderCa?.certificate ?? ca.certificate, includeCert: responderCa !== undefined }),
      responderKeyId: signer.keyId,
      loadedAtMs: Date.now(),
    };
  }
}

/** The serial a CertID names for this CA, as the store keys it ('' when it names none of ours). */
function ocspKeySerial(context: CaContext, request: OcspCertRequest): string {
  const serialHex = certIdMatchesIssuer(request, context.issuer) ? ocspSerialHex(request.serial) : undefined;
  return serialHex === undefined ? '' : serialHex.padStart(32, '0');
}

function statusOf(state: CertificateRevocationState | undefined): OcspCertStatus {
  if (!state) return { kind: 'unknown' };
  switch (state.status) {
    case 'good':
      return { kind: 'good' };
    case 'hold':
      return { kind: 'revoked', revokedAt: state.revokedAt ?? new Date(0), reason: 'certificateHold' };
    case 'revoked':
    case 'superseded':
      // Fail closed: a revoked row without its time still answers revoked.
      return { kind: 'revoked', revokedAt: state.revokedAt ?? new Date(0), reason: state.reason ?? 'unspecified' };
  }
}

function answerOf(der: Uint8Array, thisUpdate: Date, nextUpdate: Date, serial: string, status: OcspCertStatus | undefined): Answer {
  const half = (nextUpdate.getTime() - thisUpdate.getTime()) / 2;
  return {
    der,
    cache: { thisUpdate: wholeSeconds(thisUpdate), nextUpdate: wholeSeconds(nextUpdate), etag: `"${createHash('sha1').update(der).digest('hex')}"` },
    serial,
    refreshAtMs: thisUpdate.getTime() + half,
    status,
  };
}

/** A bounded map: past `max` entries the oldest goes (insertion order; a hot entry is re-inserted when remade). */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number, evicted?: (v: V) => void): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    const v = map.get(oldest.value);
    map.delete(oldest.value);
    if (v !== undefined) evicted?.(v);
  }
}

function certRequestFromDer(certIdHex: string): OcspCertRequest | undefined {
  // The CertID was parsed once already; re-read its fields through the request parser's own rules.
  try {
    return certIdFields(Buffer.from(certIdHex, 'hex'));
  } catch {
    return undefined;
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function splitKey(key: string): [string, string] {
  const at = key.indexOf('|');
  return [key.slice(0, at), key.slice(at + 1)];
}

function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

