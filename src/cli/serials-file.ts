import { parseDeviceCsv, SerialsSeen } from './device-csv.ts';

export type SerialsResult =
  | { readonly ok: true; readonly serials: readonly string[] }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Reads `--serials-file` (operator input): one serial per line, blank lines and `#` comments
 * skipped; or a `device import` CSV, recognised by its first line: a header row naming `serial`.
 * Every problem is named with its line, so one pass fixes the file.
 */
export function parseSerialsFile(text: string): SerialsResult {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const firstLine = lines.find((l) => l.trim() !== '') ?? '';
  if (isCsvHeader(firstLine)) {
    const csv = parseDeviceCsv(text);
    return csv.ok ? { ok: true, serials: csv.rows.map((r) => r.serial) } : csv;
  }
  const problems: string[] = [];
  const serials: string[] = [];
  const seen = new SerialsSeen();
  lines.forEach((raw, i) => {
    const line = i + 1;
    const serial = raw.trim();
    if (serial === '' || serial.startsWith('#')) return;
    if (serial.includes(',')) {
      problems.push(`line ${line}: a comma; a CSV file needs a header row naming "serial"`);
      return;
    }
    const duplicate = seen.claim(serial, line);
    if (duplicate) {
      problems.push(duplicate);
      return;
    }
    serials.push(serial);
  });
  if (problems.length > 0) return { ok: false, problems };
  if (serials.length === 0) return { ok: false, problems: ['the file names no serials'] };
  return { ok: true, serials };
}

/** `--serials A,B,A`: the serials given twice, for a usage error before anything is sent. */
export function duplicateSerials(serials: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const s of serials) (seen.has(s) ? twice : seen).add(s);
  return [...twice];
}

function isCsvHeader(line: string): boolean {
  return line.split(',').some((cell) => cell.trim().replace(/^"|"$/g, '').toLowerCase() === 'serial');
}
