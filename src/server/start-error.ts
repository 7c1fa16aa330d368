/**
 * A host-side command (`serve`, `admin recover`) that cannot go on, for a reason the operator can
 * fix — a port in use, a home another server holds: printed as one line, exit code 1.
 */
export class StartError extends Error {
  override readonly name = 'StartError';
}
