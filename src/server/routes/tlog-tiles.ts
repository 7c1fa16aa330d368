import type { FastifyInstance } from 'fastify';
import { TrustplaneError } from '../../core/errors.ts';
import { ledgerLeaf } from '../../ledger/leaf.ts';
import { hashBytes } from '../../ledger/merkle.ts';
import { encodeEntryBundle, parseTilePath, tileHeight, tileWidth, tileWidthAt, type TileRef } from '../../ledger/tiles.ts';
import type { Trustplane } from '../trustplane.ts';
import { latestCheckpoint } from './ledger.ts';

/** Where the log is served as static resources (c2sp.org/tlog-tiles): `<prefix>/checkpoint`, `<prefix>/tile/…`. */
export const tlogPrefix = '/ledger';

const immutable = 'public, max-age=31536000, immutable';
// A partial tile's bytes never change either, but the spec lets a log stop serving it once the full tile exists.
const partial = 'public, max-age=60';

/**
 * The trust ledger for anyone holding only the log's public key: no authentication, by design (as the
 * PKI publication endpoints). Everything is read from the stored tree; nothing is computed per request
 * beyond concatenation.
 */
export function tlogTileRoutes(app: FastifyInstance, tp: Trustplane): void {
  // tlog-tiles §Checkpoints: the latest signed note, text/plain.
  app.get(`${tlogPrefix}/checkpoint`, { schema: { hide: true } }, async (_request, reply) => {
    const cp = await latestCheckpoint(tp);
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(cp.note);
  });

  app.get(`${tlogPrefix}/tile/*`, { schema: { hide: true } }, async (request, reply) => {
    // The raw path, not the router's decoded one: each tile has exactly one spelling (tiles.ts), so a
    // percent-encoded or otherwise aliased name is not found rather than served as a second copy.
    const path = request.url.split('?', 1)[0]!.slice(tlogPrefix.length + 1);
    const ref = parseTilePath(path);
    if (ref === undefined) throw new TrustplaneError('NOT_FOUND', 'not a tlog-tiles path');
    const { treeSize } = await tp.ledger.state();
    const available = tileWidthAt(ref.kind === 'entries' ? 0 : ref.level, ref.index, treeSize);
    // tlog-tiles §Partial Tiles: a full tile only once full; a partial one up to the hashes the tree has.
    if (ref.width > available) throw new TrustplaneError('NOT_FOUND', 'the tree does not have this tile yet');
    const body = await tileBytes(tp, ref);
    return reply
      .type('application/octet-stream')
      .header('cache-control', ref.width === tileWidth ? immutable : partial)
      .send(Buffer.from(body.buffer, body.byteOffset, body.length));
  });
}

async function tileBytes(tp: Trustplane, ref: TileRef): Promise<Uint8Array> {
  const start = ref.index * tileWidth;
  if (ref.kind === 'entries') {
    // tlog-tiles §Log Entries: the leaves of level-0 tile N, each as a big-endian uint16 length and the bytes.
    return encodeEntryBundle((await tp.ledger.entries(start, start + ref.width)).map(ledgerLeaf));
  }
  const nodes = await tp.ledger.nodeHashes(tileHeight * ref.level, start, start + ref.width);
  const out = new Uint8Array(nodes.length * hashBytes);
  nodes.forEach((h, i) => {
    if (h.length !== hashBytes) throw new TrustplaneError('LEDGER_INCONSISTENT', 'a stored tree node is not a SHA-256 hash');
    out.set(h, i * hashBytes);
  });
  return out;
}
