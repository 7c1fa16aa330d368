import { TrustplaneError } from '../core/errors.ts';
import type { SbomRecord } from './release.types.ts';
import { checkSbom } from './sbom.ts';
import type { UpdatesContext } from './updates-context.ts';

/** Reads an uploaded SBOM (bounded) and validates it: what the release keeps of it. */
export async function readSbom(ctx: UpdatesContext, sha256: string): Promise<SbomRecord> {
  const blob = await ctx.blobs.get(sha256);
  if (!blob) throw new TrustplaneError('BLOB_NOT_FOUND', 'no uploaded SBOM has this SHA-256; upload it first', { details: { field: 'sbomSha256' } });
  const maxBytes = ctx.config.maxSbomBytes;
  if (blob.digests.length > maxBytes) throw new TrustplaneError('SBOM_TOO_LARGE', `the SBOM is larger than ${maxBytes} bytes`);
  const chunks: Uint8Array[] = [];
  for await (const chunk of blob.read()) chunks.push(chunk);
  const summary = await checkSbom(Buffer.concat(chunks), { maxBytes });
  const { component } = summary;
  return {
    sha256: summary.sha256,
    specVersion: summary.specVersion,
    components: summary.componentCount,
    ...(component === undefined ? {} : { name: component.name }),
    ...(component?.version === undefined ? {} : { version: component.version }),
    ...(component?.purl === undefined ? {} : { purl: component.purl }),
  };
}
