/**
 * CVSS v3.0 / v3.1 base scores, for the CSAF `cvss_v3` object (its baseScore and baseSeverity are
 * required, and mandatory test 6.1.9 recomputes them). FIRST CVSS v3.1 specification §7.1 (base
 * equations), §7.4 (metric values) and Appendix A (Roundup); v3.0 §8.1 with its simpler round-up.
 * OSV severity vectors come from outside: a vector that is not exactly CVSS v3's grammar (every
 * base metric once, only defined metrics and values, at most 200 characters) gives no score.
 */

export interface CvssV3 {
  version: '3.0' | '3.1';
  vectorString: string;
  baseScore: number;
  baseSeverity: 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
}

const BASE: Record<string, string> = { AV: 'NALP', AC: 'LH', PR: 'NLH', UI: 'NR', S: 'UC', C: 'NLH', I: 'NLH', A: 'NLH' };
// Temporal and environmental metrics may be present; they do not change the base score.
const OTHER: Record<string, string> = { E: 'XUPFH', RL: 'XOTWU', RC: 'XURC', CR: 'XLMH', IR: 'XLMH', AR: 'XLMH', MAV: 'XNALP', MAC: 'XLH', MPR: 'XNLH', MUI: 'XNR', MS: 'XUC', MC: 'XNLH', MI: 'XNLH', MA: 'XNLH' };

const AV = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 } as const;
const AC = { L: 0.77, H: 0.44 } as const;
const UI = { N: 0.85, R: 0.62 } as const;
const CIA = { H: 0.56, L: 0.22, N: 0 } as const;
/** PR depends on scope (§7.4): changed scope weighs low and high privileges more. */
const PR = { U: { N: 0.85, L: 0.62, H: 0.27 }, C: { N: 0.85, L: 0.68, H: 0.5 } } as const;

/** The base score of a CVSS v3.0 or v3.1 vector, or undefined if the vector is not one. */
export function cvssV3(vector: string): CvssV3 | undefined {
  const m = /^CVSS:(3\.[01])\/(.+)$/.exec(vector);
  if (!m || vector.length > 200) return undefined;
  const version = m[1] as '3.0' | '3.1';
  const metrics = new Map<string, string>();
  for (const part of m[2]!.split('/')) {
    const [key, value, extra] = part.split(':');
    const allowed = key === undefined ? undefined : (BASE[key] ?? OTHER[key]);
    if (allowed === undefined || value === undefined || extra !== undefined || value.length !== 1 || !allowed.includes(value) || metrics.has(key!)) return undefined;
    metrics.set(key!, value);
  }
  if (Object.keys(BASE).some((k) => !metrics.has(k))) return undefined;
  const get = <T extends Record<string, number>>(table: T, key: string): number => table[metrics.get(key) as keyof T] as number;
  const scope = metrics.get('S') as 'U' | 'C';
  // §7.1: ISS, then Impact and Exploitability
  const iss = 1 - (1 - get(CIA, 'C')) * (1 - get(CIA, 'I')) * (1 - get(CIA, 'A'));
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15);
  const exploitability = 8.22 * get(AV, 'AV') * get(AC, 'AC') * get(PR[scope], 'PR') * get(UI, 'UI');
  const roundUp = version === '3.1' ? roundUp31 : roundUp30;
  const baseScore = impact <= 0 ? 0 : roundUp(Math.min((scope === 'U' ? 1 : 1.08) * (impact + exploitability), 10));
  return { version, vectorString: vector, baseScore, baseSeverity: severity(baseScore) };
}

/** v3.1 Appendix A: round up to one decimal, in integers so 4.0000000001 is not 4.1. */
function roundUp31(x: number): number {
  const i = Math.round(x * 100_000);
  return i % 10_000 === 0 ? i / 100_000 : (Math.floor(i / 10_000) + 1) / 10;
}

/** v3.0 §8.1: the smallest number with one decimal equal to or above the input. */
function roundUp30(x: number): number {
  return Math.ceil(x * 10) / 10;
}

/** v3.1 §5 qualitative severity rating scale. */
function severity(score: number): CvssV3['baseSeverity'] {
  if (score === 0) return 'NONE';
  if (score < 4) return 'LOW';
  if (score < 7) return 'MEDIUM';
  if (score < 9) return 'HIGH';
  return 'CRITICAL';
}
