/** Token lifetimes as people write them: `30m`, `8h`, `1d`, `3600s`, or combined `1h30m`. */
const unitSeconds = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;

export function parseTtlSeconds(text: string): number {
  const s = text.trim().toLowerCase();
  if (!/^(\d+[smhdw])+$/.test(s)) {
    throw new RangeError(`"${text}" is not a duration; write e.g. 30m, 8h, 1d or 3600s`);
  }
  let seconds = 0;
  for (const [, amount, unit] of s.matchAll(/(\d+)([smhdw])/g)) {
    seconds += Number(amount) * unitSeconds[unit as keyof typeof unitSeconds];
  }
  if (seconds <= 0) throw new RangeError(`"${text}" is not a positive duration`);
  if (!Number.isSafeInteger(seconds)) throw new RangeError(`"${text}" is too long`);
  return seconds;
}
