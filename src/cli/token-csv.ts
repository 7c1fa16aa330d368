import type { MintedToken } from './api.types.ts';

export const tokenCsvHeader = ['product', 'serial', 'token', 'expires_at'] as const;

/**
 * The tokens file for the factory line (docs/reference/cli.md "Tokens CSV"): a header row, then
 * one row per serial. RFC 4180 quoting, `\n` line ends. Every token of one answer shares the
 * batch's expiry, so `expiresAt` is given once.
 */
export function formatTokensCsv(product: string, tokens: readonly MintedToken[], expiresAt: string): string {
  const rows = [tokenCsvHeader, ...tokens.map((t) => [product, t.serial, t.token, expiresAt])];
  return rows.map((row) => row.map(csvField).join(',') + '\n').join('');
}

/** RFC 4180 §2.6–2.7: a field holding a comma, quote or line break is quoted, its quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
