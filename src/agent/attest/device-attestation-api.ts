import type { MadeCredential } from '../../attestation/tpm/make-credential.ts';
import { AgentError } from '../agent-error.ts';
import { DeviceApiConnection, type DeviceApiOptions } from '../device-api-connection.ts';

/** The device listener, the product and the device's current identity (mutual TLS). */
export type DeviceAttestationApiOptions = DeviceApiOptions;

/** Answers are small JSON objects; a credential challenge is the largest (two TPM2Bs, base64). */
const MAX_ANSWER_BYTES = 16 * 1024;

export interface AttestationAnswer {
  readonly id: string;
  readonly status: string;
}

function malformed(what: string): AgentError {
  return new AgentError('refused', 'DEVICE_API_ANSWER_MALFORMED', `attestation ${what}: the answer is not of the documented shape`);
}

const stringField = (o: Record<string, unknown>, k: string, what: string): string => {
  const v = o[k];
  if (typeof v !== 'string') throw malformed(what);
  return v;
};
const bytes = (b64: string, what: string): Uint8Array => {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw malformed(what);
  return new Uint8Array(Buffer.from(b64, 'base64'));
};

/**
 * The attestation calls of the device API (`/device/v1/<sku>/attestation/…`, docs/design/api.md),
 * authenticated by the device's current certificate. A refusal is an AgentError with the server's code.
 */
export class DeviceAttestationApi {
  readonly #connection: DeviceApiConnection;

  constructor(options: DeviceAttestationApiOptions) {
    this.#connection = new DeviceApiConnection(options, 'attestation');
  }

  async nonce(): Promise<Uint8Array> {
    return (await this.challenge()).nonce;
  }

  /**
   * A nonce, and the PCRs the verifier appraises for the product (none from a server before they
   * were named: the agent's own selection then stands alone).
   */
  async challenge(): Promise<{ nonce: Uint8Array; pcrs: number[] }> {
    const o = await this.#post('nonce', undefined);
    const pcrs = o.pcrs ?? [];
    if (!Array.isArray(pcrs) || pcrs.length > 24 || pcrs.some((i) => !Number.isInteger(i) || (i as number) < 0 || (i as number) > 23)) throw malformed('nonce');
    return { nonce: bytes(stringField(o, 'nonce', 'nonce'), 'nonce'), pcrs: pcrs as number[] };
  }

  async registerKey(keys: { akPublic: Uint8Array; ekPublic: Uint8Array; ekCertificate?: Uint8Array; ekIntermediates?: readonly Uint8Array[] }): Promise<MadeCredential & { id: string }> {
    const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
    const o = await this.#post('keys', { akPublic: b64(keys.akPublic), ekPublic: b64(keys.ekPublic), ...(keys.ekCertificate ? { ekCertificate: b64(keys.ekCertificate) } : {}), ...(keys.ekIntermediates ? { ekIntermediates: keys.ekIntermediates.map(b64) } : {}) });
    return { id: stringField(o, 'id', 'keys'), credentialBlob: bytes(stringField(o, 'credentialBlob', 'keys'), 'keys'), secret: bytes(stringField(o, 'secret', 'keys'), 'keys') };
  }

  async activateKey(id: string, credential: Uint8Array): Promise<{ id: string }> {
    if (!/^ak_[0-9a-f]{20}$/.test(id)) throw malformed('keys');
    const o = await this.#post(`keys/${id}/activate`, { credential: Buffer.from(credential).toString('base64') });
    return { id: stringField(o, 'id', 'activate') };
  }

  /** The result on success; a refusal (the appraisal's code) is thrown as the server's problem. */
  async evidence(nonce: Uint8Array, evidence: Record<string, unknown>): Promise<AttestationAnswer> {
    const o = await this.#post('evidence', { nonce: Buffer.from(nonce).toString('base64'), evidence });
    const result = o.result;
    if (typeof result !== 'object' || result === null) throw malformed('evidence');
    const r = result as Record<string, unknown>;
    return { id: stringField(r, 'id', 'evidence'), status: stringField(r, 'status', 'evidence') };
  }

  close(): void {
    this.#connection.close();
  }

  #post(op: string, body: Record<string, unknown> | undefined): Promise<Record<string, unknown>> {
    return this.#connection.json('POST', op, body === undefined ? undefined : JSON.stringify(body), [200, 201], MAX_ANSWER_BYTES);
  }
}
