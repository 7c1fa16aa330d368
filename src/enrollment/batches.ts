import { DAY_MS } from '../core/clock.ts';
import { TrustplaneError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { IdentityContext } from '../pki/identity-context.ts';
import { actorName, type Actor, type DeviceRecord, type ProductRecord } from '../pki/records.types.ts';
import { DEVICE_SERIAL_PATTERN, requireText } from '../pki/validation.ts';
import { mintEnrollmentToken } from './enrollment-token.ts';
import type { EnrollmentBatchRecord, EnrollmentStore } from './enrollment-store.types.ts';
import { expandSerialRange, MAX_BATCH_SERIALS, type SerialRange } from './serial-range.ts';

export interface EnrollmentContext {
  identity: IdentityContext;
  store: EnrollmentStore;
}

export interface CreateBatchInput {
  factory: unknown;
  serials?: unknown;
  range?: SerialRange;
  validFrom?: unknown;
  validUntil: unknown;
}

/** A one-time token as handed out: once, in the answer that mints it. */
export interface IssuedToken {
  serial: string;
  token: string;
}

const MAX_WINDOW_DAYS = 365;
/** Inserts are chunked: PostgreSQL takes at most 65,535 parameters per statement. */
const INSERT_CHUNK = 1000;

/**
 * Creates a batch and its one-time tokens in one unit of work. Serials not yet registered are
 * registered with it; a registered serial must not be enrolled yet, and may hold one live token only.
 */
export async function createBatch(ctx: EnrollmentContext, product: ProductRecord, input: CreateBatchInput, actor: Actor): Promise<{ batch: EnrollmentBatchRecord; tokens: IssuedToken[] }> {
  const now = ctx.identity.clock.now();
  const factory = requireText('factory', input.factory, 200);
  const serials = batchSerials(input);
  const validFrom = input.validFrom === undefined ? now : requireInstant('validFrom', input.validFrom);
  const validUntil = requireInstant('validUntil', input.validUntil);
  if (validUntil.getTime() <= Math.max(now.getTime(), validFrom.getTime())) throw invalid('validUntil', 'validUntil must be later than now and validFrom');
  if (validUntil.getTime() - validFrom.getTime() > MAX_WINDOW_DAYS * DAY_MS) throw invalid('validUntil', `a batch is valid for at most ${MAX_WINDOW_DAYS} days`);
  if (validUntil.getTime() > product.supportUntil.getTime()) throw invalid('validUntil', "a batch cannot outlast the product's support period");

  const batch: EnrollmentBatchRecord = {
    id: newId('bat', ctx.identity.random),
    productId: product.id,
    factory,
    validFrom,
    validUntil,
    size: serials.length,
    createdBy: actorName(actor),
    createdAt: now,
    closedAt: null,
    closedBy: null,
  };
  const minted = serials.map((serial) => ({ serial, ...mintEnrollmentToken(ctx.identity.random) }));
  await ctx.store.unitOfWork(async (uow) => {
    const existing = await uow.lockDevices(serials.map((serial) => ({ productId: product.id, serial })));
    // A revoked serial is re-provisioned by an operator's decision (device reprovision), not a batch.
    const unavailable = existing.find((d) => d.state !== 'registered');
    if (unavailable) {
      const hint = unavailable.state === 'revoked' ? ': an operator re-provisions it (trustplane device reprovision)' : '';
      throw new TrustplaneError('BATCH_SERIAL_UNAVAILABLE', `serial ${unavailable.serial} is ${unavailable.state}${hint}`, { details: { serial: unavailable.serial } });
    }
    const [held] = await uow.serialsWithLiveTokens(product.id, serials, now);
    if (held !== undefined) throw new TrustplaneError('BATCH_SERIAL_UNAVAILABLE', `serial ${held} already holds a live token of another batch`, { details: { serial: held } });

    const known = new Set(existing.map((d) => d.serial));
    const fresh = serials.filter((s) => !known.has(s)).map((serial): DeviceRecord => ({
      id: newId('dev', ctx.identity.random),
      productId: product.id,
      serial,
      hardwareId: null,
      state: 'registered',
      currentCertificateSerial: null,
      createdAt: now,
      updatedAt: now,
      reprovision: null,
    }));
    for (let i = 0; i < fresh.length; i += INSERT_CHUNK) await uow.insertDevices(fresh.slice(i, i + INSERT_CHUNK));
    await uow.insertBatch(batch);
    await uow.insertBatchTokens(batch, minted.map((t) => ({ serial: t.serial, tokenHash: t.hash })));
    const by = actorName(actor);
    uow.recordEvents([
      ...fresh.map((d) => ({ actor: by, action: 'device.registered', subjectType: 'device', subjectId: d.id, details: { product: product.sku, serial: d.serial, batch: batch.id } })),
      {
        actor: by,
        action: 'batch.created',
        subjectType: 'batch',
        subjectId: batch.id,
        details: { product: product.sku, factory, size: serials.length, registered: fresh.length, validFrom: validFrom.toISOString(), validUntil: validUntil.toISOString() },
      },
    ]);
  }, { at: now });
  return { batch, tokens: minted.map((t) => ({ serial: t.serial, token: t.secret })) };
}

/**
 * Mints new tokens for the batch's unused serials; the previous ones stop working. Secrets are
 * never stored, so this is how a lost token file is replaced.
 */
export async function reissueBatchTokens(ctx: EnrollmentContext, batchId: string, actor: Actor): Promise<{ batch: EnrollmentBatchRecord; tokens: IssuedToken[] }> {
  const now = ctx.identity.clock.now();
  return ctx.store.unitOfWork(async (uow) => {
    const batch = requireOpen(await uow.lockBatch(batchId), now);
    const serials = await uow.unusedSerials(batchId);
    const minted = serials.map((serial) => ({ serial, ...mintEnrollmentToken(ctx.identity.random) }));
    const replaced = new Set(await uow.replaceUnusedTokens(batchId, minted.map((t) => ({ serial: t.serial, tokenHash: t.hash }))));
    uow.recordEvents([{ actor: actorName(actor), action: 'batch.tokens-issued', subjectType: 'batch', subjectId: batchId, details: { count: replaced.size } }]);
    return { batch, tokens: minted.filter((t) => replaced.has(t.serial)).map((t) => ({ serial: t.serial, token: t.secret })) };
  }, { at: now });
}

/** Closes a batch: its unused tokens stop working at once. */
export async function closeBatch(ctx: EnrollmentContext, batchId: string, actor: Actor): Promise<EnrollmentBatchRecord> {
  const now = ctx.identity.clock.now();
  return ctx.store.unitOfWork(async (uow) => {
    const batch = await uow.lockBatch(batchId);
    if (!batch) throw new TrustplaneError('BATCH_NOT_FOUND');
    if (batch.closedAt) throw new TrustplaneError('BATCH_CLOSED', 'the batch is already closed');
    const by = actorName(actor);
    await uow.closeBatch(batchId, now, by);
    uow.recordEvents([{ actor: by, action: 'batch.closed', subjectType: 'batch', subjectId: batchId, details: {} }]);
    return { ...batch, closedAt: now, closedBy: by };
  }, { at: now });
}

export function batchState(batch: EnrollmentBatchRecord, now: Date): 'open' | 'closed' | 'expired' {
  if (batch.closedAt) return 'closed';
  return now.getTime() >= batch.validUntil.getTime() ? 'expired' : 'open';
}

function requireOpen(batch: EnrollmentBatchRecord | undefined, now: Date): EnrollmentBatchRecord {
  if (!batch) throw new TrustplaneError('BATCH_NOT_FOUND');
  if (batch.closedAt) throw new TrustplaneError('BATCH_CLOSED');
  if (now.getTime() >= batch.validUntil.getTime()) throw new TrustplaneError('ENROLLMENT_TOKEN_EXPIRED', 'the batch has ended');
  return batch;
}

function batchSerials(input: CreateBatchInput): string[] {
  if ((input.serials === undefined) === (input.range === undefined)) throw invalid('serials', 'give either serials or range');
  const serials = input.range !== undefined ? expandSerialRange(input.range) : input.serials;
  if (!Array.isArray(serials) || serials.length === 0 || serials.length > MAX_BATCH_SERIALS) throw invalid('serials', `a batch holds 1 to ${MAX_BATCH_SERIALS} serials`);
  const seen = new Set<string>();
  for (const [i, s] of serials.entries()) {
    if (typeof s !== 'string' || !DEVICE_SERIAL_PATTERN.test(s)) throw invalid('serials', `serial ${i} must be 1-64 characters of A-Z a-z 0-9 . _ -`);
    if (seen.has(s)) throw invalid('serials', `serial ${s} appears twice`);
    seen.add(s);
  }
  return serials as string[];
}

function requireInstant(field: string, v: unknown): Date {
  const d = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(v) ? new Date(v) : undefined;
  if (!d || Number.isNaN(d.getTime())) throw invalid(field, `${field} must be an RFC 3339 date-time`);
  return d;
}

const invalid = (field: string, detail: string): TrustplaneError => new TrustplaneError('VALIDATION_FAILED', detail, { details: { field } });
