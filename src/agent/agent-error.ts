/**
 * The agent's one error class. `kind` decides the exit code (the same as the trustplane CLI's:
 * 1 usage or local state, 2 refused by the server, 3 server unreachable; and the agent's own:
 * 4 an update the agent rejected (verification), 5 an update whose install hook failed);
 * `code` is the server's stable error code when it refused, or a local one.
 */
export type AgentFailureKind = 'usage' | 'state' | 'refused' | 'unreachable' | 'rejected' | 'install-failed';

export const agentExitCodes = {
  ok: 0,
  usage: 1,
  state: 1,
  refused: 2,
  unreachable: 3,
  rejected: 4,
  'install-failed': 5,
} as const satisfies Record<'ok' | AgentFailureKind, number>;

export class AgentError extends Error {
  readonly kind: AgentFailureKind;
  /** The server's problem+json `code`; for local failures `UNREACHABLE`, `STATE_INVALID`, `USAGE`. */
  readonly code: string;
  /** The HTTP status of a refusal. */
  readonly httpStatus: number | undefined;
  /** Seconds the server asked to wait (`Retry-After`, RFC 7030 §4.2.3). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    kind: AgentFailureKind,
    code: string,
    message: string,
    options: { httpStatus?: number; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentError';
    this.kind = kind;
    this.code = code;
    this.httpStatus = options.httpStatus;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get exitCode(): number {
    return agentExitCodes[this.kind];
  }

  /** Worth another try later: no answer, overload, a pending request, or a server fault. */
  get transient(): boolean {
    if (this.kind === 'unreachable') return true;
    return (
      this.kind === 'refused' && (this.httpStatus === 202 || this.httpStatus === 503 || (this.httpStatus ?? 0) >= 500)
    );
  }
}

export function stateError(message: string, cause?: unknown): AgentError {
  return new AgentError('state', 'STATE_INVALID', message, cause === undefined ? {} : { cause });
}

export function usageError(message: string): AgentError {
  return new AgentError('usage', 'USAGE', message);
}

/** Any failure as one line: `CODE: message`. */
export function describeFailure(e: unknown): { code: string; line: string } {
  if (e instanceof AgentError) return { code: e.code, line: `${e.code}: ${e.message}` };
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'INTERNAL', line: `INTERNAL: ${message}` };
}
