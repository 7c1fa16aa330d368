import { errorCatalog, type ErrorCode } from './error-catalog.ts';

/**
 * The one error class of trustplane. `code` is stable and public; `message` is safe to show
 * a client; `cause` stays server-side (logs only), never in an answer.
 */
export class TrustplaneError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message ?? errorCatalog[code].title, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TrustplaneError';
    this.code = code;
    this.details = options?.details;
  }

  get status(): number {
    return errorCatalog[this.code].status;
  }
}

export function isTrustplaneError(e: unknown): e is TrustplaneError {
  return e instanceof TrustplaneError;
}

export { errorCatalog, type ErrorCode };
