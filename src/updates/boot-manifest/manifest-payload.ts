import { TrustplaneError } from '../../core/errors.ts';
import type { BootImage, BootManifest } from './boot-manifest.types.ts';
import { decodeStrict, encodeDeterministic } from './deterministic-cbor.ts';
import { manifestFieldProblem } from './manifest-fields.ts';

/**
 * The manifest payload: a CBOR map with small integer keys (CDDL in docs/reference/boot-manifest.md),
 * encoded per RFC 8949 §4.2.1 so the same manifest always has the same bytes.
 */

const key = {
  formatVersion: 1,
  product: 2,
  kind: 3,
  version: 4,
  securityVersion: 5,
  hardware: 6,
  image: 7,
  releaseId: 8,
  issuedAt: 9,
} as const;
const imageKey = { length: 1, sha256: 2, sha512: 3 } as const;

/** The payload bytes of a manifest; a manifest that breaks a field rule is not signed. */
export function encodeManifestPayload(manifest: BootManifest): Uint8Array {
  const problem = manifestFieldProblem(manifest);
  if (problem)
    throw new TrustplaneError('VALIDATION_FAILED', `boot manifest ${problem.field} ${problem.reason}`, {
      details: { field: problem.field },
    });
  const { image } = manifest;
  return encodeDeterministic(
    new Map<number, unknown>([
      [key.formatVersion, manifest.formatVersion],
      [key.product, manifest.product],
      [key.kind, manifest.kind],
      [key.version, manifest.version],
      [key.securityVersion, manifest.securityVersion],
      [key.hardware, [...manifest.hardware]],
      [
        key.image,
        new Map<number, unknown>([
          [imageKey.length, image.length],
          [imageKey.sha256, image.sha256],
          [imageKey.sha512, image.sha512],
        ]),
      ],
      [key.releaseId, manifest.releaseId],
      [key.issuedAt, manifest.issuedAt],
    ]),
  );
}

function malformed(message: string, details?: Record<string, unknown>): TrustplaneError {
  return new TrustplaneError('MANIFEST_MALFORMED', message, details ? { details } : undefined);
}

/** A map holding exactly `keys` (format 1 has no optional or extension fields): its values by name. */
function exactMap<K extends string>(
  value: unknown,
  keys: Readonly<Record<K, number>>,
  what: string,
): Record<K, unknown> {
  if (!(value instanceof Map)) throw malformed(`the ${what} is not a CBOR map`);
  const wanted = Object.values<number>(keys);
  if (value.size !== wanted.length || !wanted.every((k) => value.has(k)))
    throw malformed(`the ${what} does not hold exactly keys ${wanted.join(', ')}`);
  return Object.fromEntries(Object.entries<number>(keys).map(([name, k]) => [name, value.get(k)])) as Record<
    K,
    unknown
  >;
}

const copyBytes = (v: unknown): unknown => (v instanceof Uint8Array ? new Uint8Array(v) : v);

/**
 * Parses payload bytes (attacker-controlled until both signatures verified, and the caller has
 * bounded their size). Refuses with MANIFEST_MALFORMED anything but the deterministic encoding of a
 * valid manifest.
 */
export function decodeManifestPayload(bytes: Uint8Array): BootManifest {
  const fields = exactMap(decodeStrict(bytes, 'manifest payload'), key, 'manifest payload');
  const imageFields = exactMap(fields.image, imageKey, 'manifest image');
  const image = {
    length: imageFields.length,
    sha256: copyBytes(imageFields.sha256),
    sha512: copyBytes(imageFields.sha512),
  };
  const candidate = { ...fields, image };
  const problem = manifestFieldProblem(candidate);
  if (problem) throw malformed(`manifest ${problem.field} ${problem.reason}`, { field: problem.field });
  const manifest = {
    ...candidate,
    hardware: [...(candidate.hardware as string[])],
    image: image as BootImage,
  } as BootManifest;
  // RFC 8949 §4.2.1: the strict decoder already refused other encodings; this states the invariant.
  if (Buffer.compare(Buffer.from(encodeManifestPayload(manifest)), Buffer.from(bytes)) !== 0)
    throw malformed('the manifest payload is not deterministically encoded');
  return manifest;
}
