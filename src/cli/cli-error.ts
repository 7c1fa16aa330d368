/**
 * The CLI's one error class. `kind` decides the exit code; `message` is the line printed
 * after `error: `; `notes` are further lines (e.g. how much of an import went through).
 * `overdue`: a check for a scheduler found Article 14 reports past their deadline (`vuln due --fail-on-overdue`).
 * `findings`: a check for a scheduler found access paths to act on (`access-path report --fail-on-findings`);
 * the same exit code, 4: "the check ran and found something", so a scheduler needs one rule.
 */
export type CliFailureKind = 'usage' | 'refused' | 'unreachable' | 'overdue' | 'findings';

export const exitCodes = { ok: 0, usage: 1, refused: 2, unreachable: 3, overdue: 4, findings: 4 } as const satisfies Record<
  'ok' | CliFailureKind,
  number
>;

/** The fields of an RFC 9457 problem answer the CLI reads; `details` carries e.g. `row` for imports. */
export interface Problem {
  readonly status: number;
  readonly code: string;
  readonly title: string | undefined;
  readonly detail: string | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;
}

export class CliError extends Error {
  readonly kind: CliFailureKind;
  /** Set when the server refused the call. */
  readonly problem: Problem | undefined;
  readonly notes: readonly string[];

  constructor(
    kind: CliFailureKind,
    message: string,
    options?: { problem?: Problem; notes?: string[]; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.kind = kind;
    this.problem = options?.problem;
    this.notes = options?.notes ?? [];
  }

  get exitCode(): number {
    return exitCodes[this.kind];
  }

  /** The same failure with more lines of explanation after the message. */
  withNotes(...notes: string[]): CliError {
    const options: { problem?: Problem; notes: string[]; cause: unknown } = {
      notes: [...this.notes, ...notes],
      cause: this.cause,
    };
    if (this.problem !== undefined) options.problem = this.problem;
    return new CliError(this.kind, this.message, options);
  }
}

export function usageError(message: string, cause?: unknown): CliError {
  return new CliError('usage', message, cause === undefined ? undefined : { cause });
}

/**
 * Reads a non-2xx answer. A problem+json body gives `code` and `detail`/`title`; anything else
 * (a proxy's HTML page, an empty body) is named by its HTTP status so the user still sees why.
 */
export function refusalFromAnswer(status: number, contentType: string | null, body: string): CliError {
  const problem = parseProblem(status, contentType, body);
  const text = problem.detail ?? problem.title ?? `HTTP ${status}`;
  return new CliError('refused', `${problem.code}: ${text}`, { problem });
}

function parseProblem(status: number, contentType: string | null, body: string): Problem {
  const fallback: Problem = {
    status,
    code: `HTTP_${status}`,
    title: undefined,
    detail: body.trim() === '' || /html/i.test(contentType ?? '') ? undefined : body.trim().slice(0, 200),
    details: undefined,
  };
  if (!/json/i.test(contentType ?? '')) return fallback;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return fallback;
  }
  if (!isRecord(parsed) || typeof parsed.code !== 'string') return fallback;
  return {
    status,
    code: parsed.code,
    title: typeof parsed.title === 'string' ? parsed.title : undefined,
    detail: typeof parsed.detail === 'string' && parsed.detail !== '' ? parsed.detail : undefined,
    details: isRecord(parsed.details) ? parsed.details : undefined,
  };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
