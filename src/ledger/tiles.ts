import { TrustplaneError } from '../core/errors.ts';
import { hashBytes, type GetNode } from './merkle.ts';

/**
 * c2sp.org/tlog-tiles: the log as static resources. A tile at tile level L, index N holds up to 256
 * consecutive Merkle Tree Hashes at tree level 8·L — hash i is MTH(D[(N·256 + i)·256^L : (N·256 + i + 1)·256^L]),
 * i.e. GetNode(8·L, N·256 + i). Entry bundles hold the leaves of the level-0 tile of the same N.
 */

export const tileWidth = 256;
export const tileHeight = 8;
const maxTileLevel = 63;

/** `<N>` of tlog-tiles §Merkle Tree: zero-padded 3-digit elements, all but the last prefixed with `x` (1234067 → x001/x234/067). */
function encodeIndex(index: number): string {
  let s = String(index % 1000).padStart(3, '0');
  for (let n = Math.floor(index / 1000); n > 0; n = Math.floor(n / 1000))
    s = `x${String(n % 1000).padStart(3, '0')}/${s}`;
  return s;
}

function suffix(width: number | undefined): string {
  if (width === undefined || width === tileWidth) return '';
  if (!Number.isInteger(width) || width < 1 || width > tileWidth)
    throw new TrustplaneError('LEDGER_RANGE_INVALID', 'a tile is 1 to 256 hashes wide');
  return `.p/${width}`;
}

function checkIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0)
    throw new TrustplaneError('LEDGER_RANGE_INVALID', 'a tile index is a non-negative integer');
}

/** `tile/<L>/<N>[.p/<W>]`; a full tile (width 256) has no `.p/` suffix. */
export function tilePath(level: number, index: number, width?: number): string {
  if (!Number.isInteger(level) || level < 0 || level > maxTileLevel)
    throw new TrustplaneError('LEDGER_RANGE_INVALID', 'a tile level is 0 to 63');
  checkIndex(index);
  return `tile/${level}/${encodeIndex(index)}${suffix(width)}`;
}

/** `tile/entries/<N>[.p/<W>]`. */
export function entriesPath(index: number, width?: number): string {
  checkIndex(index);
  return `tile/entries/${encodeIndex(index)}${suffix(width)}`;
}

export type TileRef =
  { kind: 'hashes'; level: number; index: number; width: number } | { kind: 'entries'; index: number; width: number };

const pathPattern = /^tile\/(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/;

/** Parses a request path (attacker-controlled) into a tile; undefined for anything that is not its one canonical spelling. */
export function parseTilePath(path: string): TileRef | undefined {
  if (path.length > 128) return undefined;
  const m = pathPattern.exec(path);
  if (m === null) return undefined;
  const index = Number(m[2]!.replaceAll('x', '').replaceAll('/', ''));
  const width = m[3] === undefined ? tileWidth : Number(m[3]);
  if (!Number.isSafeInteger(index) || width > tileWidth) return undefined;
  const ref: TileRef =
    m[1] === 'entries' ? { kind: 'entries', index, width } : { kind: 'hashes', level: Number(m[1]), index, width };
  if (ref.kind === 'hashes' && ref.level > maxTileLevel) return undefined;
  // Non-canonical spellings (x000/001, a leading zero group) would alias one resource under many names.
  const canonical = ref.kind === 'entries' ? entriesPath(index, width) : tilePath(ref.level, index, width);
  return canonical === path ? ref : undefined;
}

/**
 * How many hashes tile (level, index) holds in a tree of `treeSize`: 256 when full, 1–255 when partial
 * (tlog-tiles §Partial Tiles: floor(s / 256^L) mod 256 for the rightmost), 0 when it does not exist.
 */
export function tileWidthAt(level: number, index: number, treeSize: number): number {
  const hashesAtLevel = Math.floor(treeSize / tileWidth ** level);
  return Math.max(0, Math.min(tileWidth, hashesAtLevel - index * tileWidth));
}

/** The bytes of a tile: its `width` hashes concatenated, read from stored complete subtrees. */
export async function tileContent(level: number, index: number, width: number, getNode: GetNode): Promise<Uint8Array> {
  tilePath(level, index, width); // validates the arguments
  const hashes = await Promise.all(
    Array.from({ length: width }, (_, i) => getNode(tileHeight * level, index * tileWidth + i)),
  );
  const out = new Uint8Array(width * hashBytes);
  hashes.forEach((h, i) => {
    if (h.length !== hashBytes)
      throw new TrustplaneError('INTERNAL', `stored node ${i} of the tile is not a ${hashBytes}-byte hash`);
    out.set(h, i * hashBytes);
  });
  return out;
}

/** tlog-tiles §Log entries: an entry bundle is a sequence of big-endian uint16 length-prefixed entries. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(entries.reduce((n, e) => n + 2 + e.length, 0));
  let at = 0;
  for (const e of entries) {
    if (e.length > 0xffff)
      throw new TrustplaneError('INTERNAL', 'a log entry is longer than an entry bundle allows (65535 bytes)');
    new DataView(out.buffer).setUint16(at, e.length);
    out.set(e, at + 2);
    at += 2 + e.length;
  }
  return out;
}
