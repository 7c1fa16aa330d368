/** The `range` of a batch request (docs/design/enrollment.md): serials `prefix` + `from`..`to`, zero-padded to `width` digits. */
export interface SerialRange {
  readonly prefix: string;
  readonly from: number;
  readonly to: number;
  readonly width: number;
}

/** An end of a range: anything, then the digits that end it. */
const endPattern = /^(.*?)(\d+)$/;

/**
 * Parses `--range SN-00001..SN-01000`. Both ends must share the prefix and the digit width, so
 * the serials the server makes are the ones the operator wrote; anything else is the operator's
 * to fix. The error message is the whole explanation.
 */
export function parseSerialRange(text: string): SerialRange {
  const ends = text.trim().split('..');
  if (ends.length !== 2) throw new Error('expected FIRST..LAST, e.g. SN-00001..SN-01000');
  const [first, last] = ends.map(parseEnd) as [End, End];
  if (first.prefix !== last.prefix) {
    throw new Error(`both ends must share the prefix: "${first.prefix}" and "${last.prefix}" differ`);
  }
  if (first.digits.length !== last.digits.length) {
    throw new Error(`both ends must have the same number of digits: ${first.digits} and ${last.digits} differ`);
  }
  const from = toNumber(first.digits);
  const to = toNumber(last.digits);
  if (from > to) throw new Error(`the first serial comes after the last: ${first.digits} > ${last.digits}`);
  return { prefix: first.prefix, from, to, width: first.digits.length };
}

interface End {
  readonly prefix: string;
  readonly digits: string;
}

function parseEnd(end: string): End {
  const m = endPattern.exec(end.trim());
  if (m === null) throw new Error(`"${end}" does not end in digits`);
  return { prefix: m[1] ?? '', digits: m[2] ?? '' };
}

function toNumber(digits: string): number {
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) throw new Error(`${digits} is too large a number`);
  return n;
}
