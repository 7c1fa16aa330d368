import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TrustplaneError } from '../../core/errors.ts';
import { deviceAssignment, recordDeviceReport, type DeviceReport } from '../../updates/rollouts.ts';
import { parseMetadata } from '../../updates/tuf/index.ts';
import { skuParams } from '../routes/schemas.ts';
import type { Trustplane } from '../trustplane.ts';
import { DEVICE_PREFIX, deviceJsonRoutes } from './device-routes.ts';
import { activeDevice } from './est-authentication.ts';

/** Attacker-controlled: a report is a few hundred bytes. */
const MAX_REPORT_BYTES = 4096;

export const reportBody = {
  type: 'object',
  additionalProperties: false,
  required: ['releaseId', 'outcome'],
  properties: {
    releaseId: { type: 'string', pattern: '^rel_[0-9a-f]{20}$' },
    rolloutId: { type: 'string', pattern: '^rol_[0-9a-f]{20}$' },
    outcome: { type: 'string', enum: ['installed', 'rejected', 'failed'] },
    reason: { type: 'string', maxLength: 64 },
    detail: { type: 'string', maxLength: 500 },
  },
} as const;

/**
 * Updates on the device listener, authenticated like `simplereenroll` (the device's current
 * certificate over mutual TLS, docs/design/enrollment.md): what the device trusts (its product's
 * TUF root and boot-manifest keys), what it should install (`assignment`: which release, from
 * which rollout; TUF then proves the release authentic), and what became of it (`reports`).
 */
export function deviceUpdateRoutes(app: FastifyInstance, tp: Trustplane): void {
  const device = (request: FastifyRequest<{ Params: { sku: string } }>) => activeDevice(tp, request);

  app.get<{ Params: { sku: string } }>(`${DEVICE_PREFIX}/:sku/update/trust`, { schema: { params: skuParams } }, async (request) => {
    const { product } = await device(request);
    const [root, keys] = await Promise.all([tp.updates.store.tuf.latestRoot(product.id, 'published'), tp.updates.store.tuf.findTufKeys(product.id)]);
    if (!root || !keys) throw new TrustplaneError('TUF_NOT_INITIALISED', `product ${product.sku} publishes no updates yet`);
    const spki = async (keyId: string): Promise<string> => Buffer.from((await tp.identity.keys.signer(keyId)).spki).toString('base64');
    return {
      product: product.sku,
      repository: `${tp.identity.config.publicUrl()}/tuf/${product.sku}`,
      root: parseMetadata('root', Buffer.from(root.metadata)),
      manifestKeys: { ed25519: await spki(keys.manifestEd25519KeyId), mlDsa65: await spki(keys.manifestMlDsaKeyId) },
    };
  });

  app.get<{ Params: { sku: string } }>(`${DEVICE_PREFIX}/:sku/update/assignment`, { schema: { params: skuParams } }, async (request) => {
    const { device: d } = await device(request);
    const found = await deviceAssignment(tp.updates, d);
    if (!found) return { assignment: null };
    const { rollout, release } = found;
    if (release.manifest === null || release.targetName === null) throw new TrustplaneError('INTERNAL', 'a rolled-out release has no manifest');
    return {
      assignment: {
        // The device checks it is the one named: an answer cached or routed to the wrong device is refused.
        serial: d.serial,
        rolloutId: rollout.id,
        releaseId: release.id,
        targetName: release.targetName,
        version: release.version,
        securityVersion: release.securityVersion,
        kind: release.kind,
        manifest: Buffer.from(release.manifest).toString('base64'),
      },
    };
  });

  deviceJsonRoutes(app, MAX_REPORT_BYTES, (scope) => {
    scope.post<{ Params: { sku: string }; Body: DeviceReport }>(`${DEVICE_PREFIX}/:sku/update/reports`, { schema: { params: skuParams, body: reportBody } }, async (request, reply) => {
      const { product, device: d } = await device(request);
      const { recorded } = await recordDeviceReport(tp.updates, product, d, request.body, { kind: 'device', product: product.sku, serial: d.serial, via: 'update report' });
      return reply.code(recorded ? 201 : 200).send({ recorded });
    });
  });
}
