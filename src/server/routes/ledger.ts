import type { FastifyInstance } from 'fastify';
import { TrustplaneError } from '../../core/errors.ts';
import { entryLeafHash, ledgerLeaf } from '../../ledger/leaf.ts';
import type { StoredCheckpoint } from '../../ledger/ledger-store.types.ts';
import { encodeBase64 } from '../../ledger/strict-base64.ts';
import { authorise } from '../auth.ts';
import type { Trustplane } from '../trustplane.ts';

/**
 * Query numbers are attacker-controlled and spelled one way only: decimal, no sign, no leading zero,
 * no exponent — not left to Ajv's coercion (which reads "" as 0 and "1e3" as 1000). Beyond 2^53 the
 * ledger refuses them as LEDGER_RANGE_INVALID.
 */
const decimal = { type: 'string', pattern: '^(?:0|[1-9][0-9]{0,15})$' } as const;

function rangeQuery<A extends string, B extends string>(a: A, b: B, descriptions: Record<A | B, string>) {
  return {
    type: 'object',
    additionalProperties: false,
    required: [a, b],
    properties: { [a]: { ...decimal, description: descriptions[a] }, [b]: { ...decimal, description: descriptions[b] } },
  } as const;
}

const inclusionQuery = rangeQuery('index', 'size', {
  index: 'leaf index (event seq)',
  size: 'tree size of the checkpoint to prove against',
});
const consistencyQuery = rangeQuery('from', 'to', { from: 'older tree size', to: 'newer tree size' });
const entriesQuery = rangeQuery('start', 'end', { start: 'first index', end: 'index after the last (≤ start + 1000)' });

const checkpointsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    after: { ...decimal, description: 'only checkpoints of a larger tree size (paging)' },
    limit: { ...decimal, description: 'at most this many (≤ 1000; default 100)' },
  },
} as const;

const hashes = (h: readonly Uint8Array[]): string[] => h.map(encodeBase64);

export async function latestCheckpoint(tp: Trustplane): Promise<StoredCheckpoint> {
  const cp = await tp.ledger.checkpoint('latest');
  if (cp === undefined) throw new TrustplaneError('NOT_FOUND', 'the ledger has no signed checkpoint yet');
  return cp;
}

/** The trust ledger's read API (RFC 9162 proofs over the events, c2sp.org/tlog-checkpoint tree heads). */
export function ledgerRoutes(app: FastifyInstance, tp: Trustplane): void {
  app.get('/v1/ledger/checkpoint', { schema: { tags: ['ledger'] } }, async (request) => {
    await authorise(tp, request, 'ledger:read');
    const cp = await latestCheckpoint(tp);
    return { treeSize: cp.treeSize, rootHash: encodeBase64(cp.rootHash), checkpoint: cp.note, verifierKey: await tp.ledger.verifierKey() };
  });

  // Every signed checkpoint is kept: an auditor checks the log against all of them, not only the newest.
  app.get<{ Querystring: { after?: string; limit?: string } }>(
    '/v1/ledger/checkpoints',
    { schema: { tags: ['ledger'], querystring: checkpointsQuery } },
    async (request) => {
      await authorise(tp, request, 'ledger:read');
      const limit = Math.max(1, Number(request.query.limit ?? 100));
      const after = request.query.after === undefined ? undefined : Number(request.query.after);
      const items = await tp.ledger.checkpoints(after, limit);
      return {
        items: items.map((cp) => ({ treeSize: cp.treeSize, checkpoint: cp.note })),
        ...(items.length === Math.min(limit, 1000) ? { next: String(items.at(-1)!.treeSize) } : {}),
      };
    },
  );

  app.get<{ Querystring: { index: string; size: string } }>(
    '/v1/ledger/proof/inclusion',
    { schema: { tags: ['ledger'], querystring: inclusionQuery } },
    async (request) => {
      await authorise(tp, request, 'ledger:read');
      const index = Number(request.query.index);
      const size = Number(request.query.size);
      return { index, treeSize: size, hashes: hashes(await tp.ledger.inclusionProof(index, size)) };
    },
  );

  app.get<{ Querystring: { from: string; to: string } }>(
    '/v1/ledger/proof/consistency',
    { schema: { tags: ['ledger'], querystring: consistencyQuery } },
    async (request) => {
      await authorise(tp, request, 'ledger:read');
      const from = Number(request.query.from);
      const to = Number(request.query.to);
      return { from, to, hashes: hashes(await tp.ledger.consistencyProof(from, to)) };
    },
  );

  app.get<{ Querystring: { start: string; end: string } }>(
    '/v1/ledger/entries',
    { schema: { tags: ['ledger'], querystring: entriesQuery } },
    async (request) => {
      await authorise(tp, request, 'ledger:read');
      const entries = await tp.ledger.entries(Number(request.query.start), Number(request.query.end));
      return {
        items: entries.map((e) => ({
          index: e.seq,
          leaf: Buffer.from(ledgerLeaf(e)).toString('utf8'),
          leafHash: encodeBase64(entryLeafHash(e)),
        })),
      };
    },
  );
}
