import type { FastifyInstance, FastifyReply } from 'fastify';
import { TrustplaneError } from '../../core/errors.ts';
import type { AdvisoryRecord } from '../../vulns/csaf/advisory-store.types.ts';
import { changesCsv, CSAF_ROOT, csafPath, indexTxt, providerMetadata, sha256File, WHITE_DIRECTORY, type PublishedFile } from '../../vulns/csaf/provider-layout.ts';
import type { Trustplane } from '../trustplane.ts';

const fileParams = { type: 'object', properties: { year: { type: 'string', maxLength: 8 }, file: { type: 'string', maxLength: 256 } }, required: ['year', 'file'] } as const;
const yearParams = { type: 'object', properties: { year: { type: 'string', maxLength: 8 } }, required: ['year'] } as const;

/**
 * The CSAF provider's public surface (CSAF 2.0 §7.1; docs/design/csaf.md "Provider layout"): no
 * token, as requirement 4 wants for TLP:WHITE. provider-metadata.json at the well-known URL (7, 9),
 * the directory distribution (11–14) with a SHA-256 file beside each document (18). Only what was
 * published is served, as stored: a document's bytes are the ones its hash was computed over.
 * Documents change in place with each version, so they are `no-cache` with their hash as ETag.
 */
export function csafProviderRoutes(app: FastifyInstance, tp: Trustplane): void {
  const hidden = { hide: true } as const;

  app.get(`${CSAF_ROOT}/provider-metadata.json`, { schema: hidden }, async (_request, reply) => {
    const advisories = await tp.advisories.store.listAdvisories();
    const latest = advisories.reduce<Date | undefined>((at, a) => (at === undefined || a.currentReleaseDate > at ? a.currentReleaseDate : at), undefined);
    const metadata = providerMetadata(tp.advisories.baseUrl(), tp.advisories.publisher(), latest ?? tp.clock.now());
    return reply.type('application/json').header('cache-control', 'no-cache').send(`${JSON.stringify(metadata, null, 2)}\n`);
  });

  // §7.1.14: directory listings for people browsing
  for (const path of [CSAF_ROOT, `${CSAF_ROOT}/`]) {
    app.get(path, { schema: hidden }, (_request, reply) => listing(reply, `${CSAF_ROOT}/`, ['provider-metadata.json', 'white/']));
  }
  for (const path of [WHITE_DIRECTORY, `${WHITE_DIRECTORY}/`]) {
    app.get(path, { schema: hidden }, async (_request, reply) => {
      const years = [...new Set((await published(tp)).map((f) => `${f.path.slice(0, 4)}/`))].sort();
      return listing(reply, `${WHITE_DIRECTORY}/`, ['index.txt', 'changes.csv', ...years]);
    });
  }

  app.get(`${WHITE_DIRECTORY}/index.txt`, { schema: hidden }, async (_request, reply) => reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(indexTxt(await published(tp))));
  app.get(`${WHITE_DIRECTORY}/changes.csv`, { schema: hidden }, async (_request, reply) => reply.type('text/csv; charset=utf-8').header('cache-control', 'no-cache').send(changesCsv(await published(tp))));

  for (const path of [`${WHITE_DIRECTORY}/:year`, `${WHITE_DIRECTORY}/:year/`]) {
    app.get<{ Params: { year: string } }>(path, { schema: { ...hidden, params: yearParams } }, async (request, reply) => {
      const { year } = request.params;
      const files = (await published(tp)).filter((f) => f.path.startsWith(`${year}/`)).flatMap((f) => [f.path.slice(5), `${f.path.slice(5)}.sha256`]);
      if (!/^[0-9]{4}$/.test(year) || files.length === 0) throw new TrustplaneError('NOT_FOUND', 'no advisories of that year');
      return listing(reply, `${WHITE_DIRECTORY}/${year}/`, files.sort());
    });
  }

  app.get<{ Params: { year: string; file: string } }>(`${WHITE_DIRECTORY}/:year/:file`, { schema: { ...hidden, params: fileParams } }, async (request, reply) => {
    const { year, file } = request.params;
    const m = /^([+\-a-z0-9_]{1,200}\.json)(\.sha256)?$/.exec(file);
    const advisory = m ? await tp.advisories.store.findByFileName(m[1]!) : undefined;
    if (!m || !advisory || csafPath(advisory.initialReleaseDate, advisory.fileName) !== `${year}/${m[1]}`) throw new TrustplaneError('NOT_FOUND', 'no such advisory');
    const etag = `"${advisory.sha256}"`;
    if (m[2] !== undefined) return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(sha256File(advisory.sha256, advisory.fileName));
    if (request.headers['if-none-match'] === etag) return reply.code(304).header('etag', etag).send();
    const doc = await tp.advisories.store.document(advisory.trackingId, advisory.currentVersion);
    if (!doc) throw new TrustplaneError('NOT_FOUND', 'no such advisory');
    return reply.type('application/json').header('etag', etag).header('cache-control', 'no-cache').send(doc.text);
  });
}

async function published(tp: Trustplane): Promise<PublishedFile[]> {
  const all: AdvisoryRecord[] = await tp.advisories.store.listAdvisories();
  return all.map((a) => ({ path: csafPath(a.initialReleaseDate, a.fileName), currentReleaseDate: a.currentReleaseDate }));
}

/**
 * A plain HTML index. Links are absolute paths: the listing answers with and without the trailing
 * slash, and a relative link would resolve against the parent without it. The names are the
 * server's own (a-z, 0-9, `+-_.`), escaped all the same.
 */
function listing(reply: FastifyReply, path: string, entries: string[]): FastifyReply {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const items = entries.map((e) => `<li><a href="${esc(path + e)}">${esc(e)}</a></li>`).join('\n');
  const html = `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Index of ${esc(path)}</title></head>\n<body><h1>Index of ${esc(path)}</h1>\n<ul>\n${items}\n</ul></body></html>\n`;
  return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
}
