/**
 * How the CLI prints: `--json` writes the server's answer unchanged; otherwise a table or
 * key-value listing for people. Formatters return strings so tests need no stdout.
 */
export type Cell = string | number | boolean | null | undefined;

export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => Cell;
}

export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => cellText(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

export function formatKeyValues(entries: readonly (readonly [string, Cell])[]): string {
  const width = Math.max(0, ...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${(k + ':').padEnd(width + 1)} ${cellText(v)}`).join('\n') + '\n';
}

export function cellText(v: Cell): string {
  if (v === undefined || v === null || v === '') return '-';
  return String(v);
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

/** Status lines that are not the command's answer (progress, what was written) go to stderr. */
export function inform(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
}
