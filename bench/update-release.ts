// A product's first signed release through the /v1 API, as operators make it: root 1 proposed and
// signed by 2 of 2 officers, a 1 MiB image and an SBOM uploaded, the release approved by 2 of 3
// release managers (each signs the targets draft the server hands out). Shared by the publication
// bench (bench/updates.ts) and the update-check bench (bench/update-checks.ts).
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { signTufMetadata } from '../src/updates/tuf/index.ts';
import { BENCH_SKU } from './fixtures.ts';
import { elapsedMs } from './stats.ts';

export type ApiCall = (method: string, path: string, body?: unknown) => Promise<unknown>;

export function apiClient(url: string, secret: string): ApiCall {
  return async (method, path, body) => {
    const res = await fetch(url + path, {
      method,
      headers: {
        authorization: `Bearer ${secret}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as unknown;
  };
}

async function upload(url: string, secret: string, bytes: Buffer): Promise<string> {
  const res = await fetch(`${url}/v1/products/${BENCH_SKU}/blobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  if (res.status !== 201) throw new Error(`upload: ${res.status}`);
  return ((await res.json()) as { sha256: string }).sha256;
}

const person = (): { key: KeyObject; pem: string } => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { key: privateKey, pem: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
};

export interface PublishedRelease {
  releaseId: string;
  /** The approval that reached the threshold: the publication itself. */
  publishMs: number;
  /** From the first upload to the publishing approval's answer. */
  endToEndMs: number;
}

/**
 * Root 1 and release 1.0.0 of BENCH_SKU, published, through the API at `url` with an admin token;
 * `release`: more fields of the release (the attestation bench's boot measurements).
 */
export async function publishBenchRelease(
  url: string,
  secret: string,
  release: Record<string, unknown> = {},
): Promise<PublishedRelease> {
  const api = apiClient(url, secret);
  const officers = [person(), person()];
  const managers = [person(), person(), person()];
  const root = (await api('POST', `/v1/products/${BENCH_SKU}/tuf/roots`, {
    officers: officers.map((o, i) => ({ owner: `officer-${i}`, publicKey: o.pem })),
    rootThreshold: 2,
    managers: managers.map((m, i) => ({ owner: `manager-${i}`, publicKey: m.pem, expires: '2035-12-31' })),
    approvalThreshold: 2,
  })) as { metadata: { signed: never } };
  for (const o of officers)
    await api('POST', `/v1/products/${BENCH_SKU}/tuf/roots/1/signatures`, signTufMetadata(root.metadata.signed, o.key));

  const t0 = process.hrtime.bigint();
  const image = await upload(url, secret, randomBytes(1024 * 1024));
  const sbom = await upload(
    url,
    secret,
    Buffer.from(
      JSON.stringify({
        bomFormat: 'CycloneDX',
        specVersion: '1.6',
        version: 1,
        components: [{ type: 'library', name: 'zlib', version: '1.3.1' }],
      }),
    ),
  );
  const created = (await api('POST', `/v1/products/${BENCH_SKU}/releases`, {
    version: '1.0.0',
    securityVersion: 1,
    kind: 'firmware',
    updateType: 'security',
    imageSha256: image,
    sbomSha256: sbom,
    ...release,
  })) as { id: string };
  const approve = async (m: { key: KeyObject }): Promise<void> => {
    const draft = (await api('GET', `/v1/products/${BENCH_SKU}/releases/${created.id}/approval`)) as {
      targets: { signed: never };
    };
    await api(
      'POST',
      `/v1/products/${BENCH_SKU}/releases/${created.id}/approvals`,
      signTufMetadata(draft.targets.signed, m.key),
    );
  };
  await approve(managers[0]!);
  const p0 = process.hrtime.bigint();
  await approve(managers[1]!);
  const publishMs = elapsedMs(p0);
  return { releaseId: created.id, publishMs, endToEndMs: elapsedMs(t0) };
}
