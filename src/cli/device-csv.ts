import { CsvError, parse } from 'csv-parse/sync';

/** One device row of an import file; `line` is the 1-based line in the file, for messages. */
export interface DeviceCsvRow {
  readonly line: number;
  readonly serial: string;
  readonly hardwareId?: string;
  /** the `tags` column: labels separated by `;` (a rollout may target a tag) */
  readonly tags?: readonly string[];
}

export type DeviceCsvResult =
  | { readonly ok: true; readonly rows: readonly DeviceCsvRow[] }
  | { readonly ok: false; readonly problems: readonly string[] };

interface ParsedRecord {
  readonly record: string[];
  readonly info: { readonly lines: number };
}

const serialColumn = 'serial';
const hardwareIdColumns = ['hardware_id', 'hardwareid'];
const tagsColumn = 'tags';

/**
 * Validates a whole factory CSV before anything is sent: a header row naming `serial` and
 * optionally `hardware_id` (or `hardwareId`) and `tags` (labels separated by `;`); other columns
 * are ignored. Every problem is
 * reported with its line, so one pass fixes the file. The file is operator input, not trusted.
 */
export function parseDeviceCsv(text: string): DeviceCsvResult {
  let records: ParsedRecord[];
  try {
    // With `info: true` csv-parse yields { record, info } per row; its typings do not model that option.
    records = parse(text, {
      info: true,
      bom: true,
      trim: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n', '\r'],
    }) as unknown as ParsedRecord[];
  } catch (e) {
    if (e instanceof CsvError) return { ok: false, problems: [`line ${String(e.lines)}: ${e.message}`] };
    throw e;
  }
  const [header, ...body] = records;
  if (header === undefined) return { ok: false, problems: ['the file is empty; expected a header row with "serial"'] };

  const names = header.record.map((n) => n.toLowerCase());
  const serialAt = names.indexOf(serialColumn);
  const hardwareIdAt = names.findIndex((n) => hardwareIdColumns.includes(n));
  const tagsAt = names.indexOf(tagsColumn);
  if (serialAt < 0) {
    return { ok: false, problems: [`line ${header.info.lines}: the header has no "serial" column`] };
  }
  if (body.length === 0) return { ok: false, problems: ['the file has a header but no device rows'] };

  const problems: string[] = [];
  const rows: DeviceCsvRow[] = [];
  const seen = new SerialsSeen();
  for (const { record, info } of body) {
    const line = info.lines;
    const serial = record[serialAt] ?? '';
    if (serial === '') {
      problems.push(`line ${line}: empty serial`);
      continue;
    }
    const duplicate = seen.claim(serial, line);
    if (duplicate) {
      problems.push(duplicate);
      continue;
    }
    const hardwareId = hardwareIdAt < 0 ? '' : (record[hardwareIdAt] ?? '');
    const tags = (tagsAt < 0 ? '' : (record[tagsAt] ?? '')).split(';').map((t) => t.trim()).filter((t) => t !== '');
    rows.push({ line, serial, ...(hardwareId === '' ? {} : { hardwareId }), ...(tags.length === 0 ? {} : { tags }) });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rows };
}

/** The serials a file has named so far, each with the line it first appeared on. */
export class SerialsSeen {
  readonly #firstLineOf = new Map<string, number>();

  /** Records `serial` at `line`; if the file named it before, the problem to report instead. */
  claim(serial: string, line: number): string | undefined {
    const earlier = this.#firstLineOf.get(serial);
    if (earlier !== undefined) return `line ${line}: duplicate serial "${serial}" (first on line ${earlier})`;
    this.#firstLineOf.set(serial, line);
    return undefined;
  }
}
