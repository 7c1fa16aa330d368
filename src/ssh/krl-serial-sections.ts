/**
 * How a set of revoked serials is laid out in a KRL's certificate section (PROTOCOL.krl §2.1–2.3):
 * a serial list costs 8 bytes a serial, a range 21 bytes whatever its length, a bitmap one bit per
 * serial it spans plus ~18 bytes. Serials are grouped into clusters (runs closer than 64 serials
 * apart: a 64-bit gap in a bitmap costs what one list entry does), and each cluster takes the
 * cheapest form. OpenSSH's ssh-keygen makes a similar greedy choice (krl.c choose_next_state);
 * ours differs in one thing that matters: a bitmap never spans more than 16384 serials, because
 * OpenSSH reads an mpint of at most 2048 bytes (sshbuf.h SSHBUF_MAX_BIGNUM) and refuses the whole
 * KRL otherwise.
 */
export type SerialSection =
  | { readonly kind: 'list'; readonly serials: readonly bigint[] }
  | { readonly kind: 'range'; readonly min: bigint; readonly max: bigint }
  | { readonly kind: 'bitmap'; readonly offset: bigint; readonly bits: Uint8Array };

export const MAX_BITMAP_BITS = 16384;
const CLUSTER_GAP = 64n;
const MAX_BITMAP_SPAN = BigInt(MAX_BITMAP_BITS);
const SECTION_HEADER_BYTES = 5; // byte type + uint32 length
const RANGE_BYTES = SECTION_HEADER_BYTES + 16;
const BITMAP_OVERHEAD_BYTES = SECTION_HEADER_BYTES + 8 + 4 + 1; // offset, mpint length, a possible leading zero

interface Run {
  lo: bigint;
  hi: bigint;
}

/** Sorted, distinct serials to runs of consecutive ones. */
export function serialRuns(sorted: readonly bigint[]): Run[] {
  const runs: Run[] = [];
  for (const s of sorted) {
    const last = runs.at(-1);
    if (last && s === last.hi + 1n) last.hi = s;
    else runs.push({ lo: s, hi: s });
  }
  return runs;
}

function clusters(runs: readonly Run[]): Run[][] {
  const out: Run[][] = [];
  let current: Run[] = [];
  for (const run of runs) {
    const first = current[0];
    const last = current.at(-1);
    const fits = first && last && run.lo - last.hi - 1n < CLUSTER_GAP && run.hi - first.lo < MAX_BITMAP_SPAN;
    if (!fits && current.length > 0) {
      out.push(current);
      current = [];
    }
    current.push(run);
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** The sections for sorted, distinct serials, in ascending order of serial. */
export function chooseSerialSections(sorted: readonly bigint[]): SerialSection[] {
  const sections: SerialSection[] = [];
  const list = (serials: bigint[]): void => {
    const last = sections.at(-1);
    if (last?.kind === 'list') (last.serials as bigint[]).push(...serials);
    else sections.push({ kind: 'list', serials });
  };
  for (const cluster of clusters(serialRuns(sorted))) {
    const lo = cluster[0]!.lo;
    const hi = cluster.at(-1)!.hi;
    const count = cluster.reduce((n, r) => n + Number(r.hi - r.lo + 1n), 0);
    const span = Number(hi - lo + 1n);
    const listBytes = 8 * count;
    const bitmapBytes = BITMAP_OVERHEAD_BYTES + Math.ceil(span / 8);
    const rangeBytes = cluster.length === 1 ? RANGE_BYTES : Infinity;
    if (rangeBytes <= listBytes && rangeBytes <= bitmapBytes) sections.push({ kind: 'range', min: lo, max: hi });
    else if (listBytes <= bitmapBytes) list(cluster.flatMap((r) => expand(r)));
    else sections.push({ kind: 'bitmap', offset: lo, bits: bitmapOf(cluster, lo, span) });
  }
  return sections;
}

function expand(run: Run): bigint[] {
  const out: bigint[] = [];
  for (let s = run.lo; s <= run.hi; s++) out.push(s);
  return out;
}

/** PROTOCOL.krl §2.3: bit N (counted from the least significant bit of the big-endian mpint) is serial offset + N. */
function bitmapOf(cluster: readonly Run[], offset: bigint, span: number): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(span / 8));
  for (const run of cluster) {
    for (let n = Number(run.lo - offset); n <= Number(run.hi - offset); n++) bytes[bytes.length - 1 - (n >> 3)]! |= 1 << (n & 7);
  }
  return bytes;
}
