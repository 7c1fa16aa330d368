import { createHash } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import { TPM_RH_ENDORSEMENT, tpmHashes } from './tpm-constants.ts';

function hashOf(nameAlg: number): string {
  const hash = tpmHashes.get(nameAlg);
  // A SHA-1 name is forgeable by a chosen-prefix collision: it could stand for another public area.
  if (hash === undefined || hash.name === 'sha1') {
    const algorithm = `0x${nameAlg.toString(16).padStart(4, '0')}`;
    throw new TrustplaneError('ATTESTATION_ALGORITHM_UNSUPPORTED', `nameAlg ${algorithm} is not supported`, {
      details: { algorithm },
    });
  }
  return hash.name;
}

function withAlg(nameAlg: number, digest: Buffer): Uint8Array {
  const out = new Uint8Array(2 + digest.length);
  out[0] = nameAlg >> 8;
  out[1] = nameAlg & 0xff;
  out.set(digest, 2);
  return out;
}

/** TPM 2.0 Part 1 §16: an object's Name is nameAlg || H_nameAlg(TPMT_PUBLIC). */
export function tpmName(nameAlg: number, publicArea: Uint8Array): Uint8Array {
  return withAlg(nameAlg, createHash(hashOf(nameAlg)).update(publicArea).digest());
}

/** Part 1 §26.5: QN(object) = nameAlg || H_nameAlg(QN(parent) || Name(object)), with the object's nameAlg. */
export function qualifiedName(parentQualifiedName: Uint8Array, name: Uint8Array): Uint8Array {
  const nameAlg = ((name[0] ?? 0) << 8) | (name[1] ?? 0);
  return withAlg(nameAlg, createHash(hashOf(nameAlg)).update(parentQualifiedName).update(name).digest());
}

/** The qualified name of a primary key of the endorsement hierarchy (an EK): the hierarchy's QN is its handle. */
export function endorsementQualifiedName(ekName: Uint8Array): Uint8Array {
  const handle = new Uint8Array(4);
  new DataView(handle.buffer).setUint32(0, TPM_RH_ENDORSEMENT);
  return qualifiedName(handle, ekName);
}
