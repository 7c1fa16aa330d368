import type { DestinationStream } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat } from './config.ts';

/**
 * Where both listeners write their logs. A person at a terminal reads lines
 * (`12:00:01.234 INFO: request completed {...}`); a log shipper reads JSON lines, which stay the
 * default when stdout is not a terminal. undefined: pino's own JSON lines on stdout.
 */
export function logDestination(format: LogFormat, stdoutIsTerminal: boolean): DestinationStream | undefined {
  const readable = format === 'pretty' || (format === 'auto' && stdoutIsTerminal);
  if (!readable) return undefined;
  return pretty({
    colorize: stdoutIsTerminal,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
    // Synchronous like the start lines on stderr, so the last lines before an exit are not lost.
    sync: true,
    destination: 1,
  });
}
