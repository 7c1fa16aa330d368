import type { FastifyInstance, FastifyRequest } from 'fastify';
import { KRL_REFRESH_SECONDS, MAX_LOGINS_PER_REPORT, devicePrincipals, recordLogins } from '../../access/device-ssh.ts';
import { issueHostCertificate } from '../../access/host-certificates.ts';
import { caKeyLine, ensureSshCas } from '../../access/ssh-cas.ts';
import { TrustplaneError } from '../../core/errors.ts';
import type { Actor, DeviceRecord, ProductRecord } from '../../pki/records.types.ts';
import { skuParams } from '../routes/schemas.ts';
import type { Trustplane } from '../trustplane.ts';
import { DEVICE_PREFIX, deviceJsonRoutes } from './device-routes.ts';
import { activeDevice } from './est-authentication.ts';

/** Attacker-controlled: 100 logins of a few hundred bytes, or one .pub line. */
const MAX_SSH_BODY_BYTES = 64 * 1024;
const UINT64_DECIMAL = '^(0|[1-9][0-9]{0,19})$';

export const hostCertificateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['publicKey'],
  properties: { publicKey: { type: 'string', minLength: 1, maxLength: 16 * 1024, description: "the host key's .pub line" } },
} as const;

export const loginsBody = {
  type: 'object',
  additionalProperties: false,
  required: ['logins'],
  properties: {
    logins: {
      type: 'array',
      maxItems: MAX_LOGINS_PER_REPORT,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['keyId', 'serial', 'at', 'source'],
        properties: {
          keyId: { type: 'string', maxLength: 512 },
          serial: { type: 'string', pattern: UINT64_DECIMAL },
          at: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$' },
          source: { type: 'string', minLength: 1, maxLength: 128 },
        },
      },
    },
  },
} as const;

interface LoginsBody {
  logins: { keyId: string; serial: string; at: string; source: string }[];
}

const MAX_UINT64 = (1n << 64n) - 1n;

/**
 * SSH on the device listener, authenticated like the update routes (the device's current
 * certificate over mutual TLS; an inactive device is 409 DEVICE_NOT_ACTIVE): what sshd needs
 * (`config`: the user CA keys and the principals file; `krl`), a host certificate for its host
 * key, and the logins it saw (docs/design/access.md).
 */
export function deviceSshRoutes(app: FastifyInstance, tp: Trustplane): void {
  const device = async (request: FastifyRequest<{ Params: { sku: string } }>): Promise<{ product: ProductRecord; device: DeviceRecord; actor: Actor }> => {
    const { product, device: found } = await activeDevice(tp, request);
    return { product, device: found, actor: { kind: 'device', product: product.sku, serial: found.serial, via: 'ssh' } };
  };

  app.get<{ Params: { sku: string } }>(`${DEVICE_PREFIX}/:sku/ssh/config`, { schema: { params: skuParams } }, async (request) => {
    const { product, device: d, actor } = await device(request);
    const cas = await ensureSshCas(tp.access, product, actor);
    return { userCaKeys: [caKeyLine(cas.user, product.sku)], principals: await devicePrincipals(tp.access, product, d), krlRefreshSeconds: KRL_REFRESH_SECONDS };
  });

  app.get<{ Params: { sku: string } }>(`${DEVICE_PREFIX}/:sku/ssh/krl`, { schema: { params: skuParams } }, async (request, reply) => {
    const { product, actor } = await device(request);
    const cas = await ensureSshCas(tp.access, product, actor);
    const krl = await tp.krls.current(tp.access, product, cas.user);
    return reply.type('application/octet-stream').header('cache-control', 'no-store').send(krl.bytes);
  });

  deviceJsonRoutes(app, MAX_SSH_BODY_BYTES, (scope) => {
    scope.post<{ Params: { sku: string }; Body: { publicKey: string } }>(`${DEVICE_PREFIX}/:sku/ssh/host-certificate`, { schema: { params: skuParams, body: hostCertificateBody } }, async (request, reply) => {
      const { product, device: d, actor } = await device(request);
      const issued = await issueHostCertificate(tp.access, product, d, request.body, actor);
      const cas = await ensureSshCas(tp.access, product, actor);
      return reply.code(201).send({ certificate: issued.certificate, validBefore: issued.validBefore.toISOString(), hostCaKey: caKeyLine(cas.host, product.sku) });
    });

    scope.post<{ Params: { sku: string }; Body: LoginsBody }>(`${DEVICE_PREFIX}/:sku/ssh/logins`, { schema: { params: skuParams, body: loginsBody } }, async (request, reply) => {
      const { product, device: d, actor } = await device(request);
      const reports = request.body.logins.map((l, i) => {
        const serial = BigInt(l.serial);
        const at = new Date(l.at);
        if (serial > MAX_UINT64 || Number.isNaN(at.getTime())) throw new TrustplaneError('VALIDATION_FAILED', `login ${i}: serial must be a uint64, at an ISO time`, { details: { index: i } });
        return { keyId: l.keyId, serial, at, source: l.source };
      });
      return reply.code(202).send(await recordLogins(tp.access, product, d, reports, actor));
    });
  });
}
