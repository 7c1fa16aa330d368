import type { FastifyInstance } from 'fastify';
import type { DeviceState } from '../../core/lifecycle.ts';
import { parseOperatorRevocationReason } from '../../core/revocation-reason.ts';
import { TrustplaneError } from '../../core/errors.ts';
import { csrDerFromText } from '../../pki/csr.ts';
import { authoriseReprovision, type ReprovisionInput } from '../../enrollment/reprovision.ts';
import { changeDeviceState, registerDevices, type DeviceRegistration } from '../../pki/devices.ts';
import type { IssuanceKind } from '../../pki/issuance-plan.ts';
import { toPem } from '../../core/pem.ts';
import { deviceView, eventView } from '../../pki/views.ts';
import { authorise, requireProductScope } from '../auth.ts';
import { stationOf } from '../station.ts';
import type { Trustplane } from '../trustplane.ts';
import { chainPem } from './products.ts';
import { csrBody, deviceParams, emptyBody, importDevicesBody, listDevicesQuery, registerDeviceBody, revokeBody, skuParams } from './schemas.ts';

type DeviceParams = { sku: string; serial: string };

export function deviceRoutes(app: FastifyInstance, tp: Trustplane): void {
  const chains = new Map<string, string>();
  const chainOf = async (caId: string): Promise<string> => {
    let c = chains.get(caId);
    if (!c) chains.set(caId, (c = await chainPem(tp, caId)));
    return c;
  };

  app.post<{ Params: { sku: string }; Body: DeviceRegistration }>(
    '/v1/products/:sku/devices',
    { schema: { tags: ['devices'], params: skuParams, body: registerDeviceBody } },
    async (request, reply) => {
      const { actor } = await authorise(tp, request, 'device:write');
      const product = await tp.product(request.params.sku);
      const [device] = await registerDevices(tp.identity, product, [request.body], actor);
      return reply.code(201).send(deviceView(device!, product, tp.clock.now(), []));
    },
  );

  app.post<{ Params: { sku: string }; Body: { devices: DeviceRegistration[] } }>(
    '/v1/products/:sku/devices/import',
    { schema: { tags: ['devices'], params: skuParams, body: importDevicesBody } },
    async (request, reply) => {
      const { actor } = await authorise(tp, request, 'device:write');
      const product = await tp.product(request.params.sku);
      const devices = await registerDevices(tp.identity, product, request.body.devices, actor);
      return reply.code(201).send({ created: devices.length });
    },
  );

  app.get<{ Params: { sku: string }; Querystring: { state?: DeviceState; limit: number; after?: string } }>(
    '/v1/products/:sku/devices',
    { schema: { tags: ['devices'], params: skuParams, querystring: listDevicesQuery } },
    async (request) => {
      await authorise(tp, request, 'device:read');
      const product = await tp.product(request.params.sku);
      const { state, after, limit } = request.query;
      const items = await tp.identity.store.listDevices(product.id, { limit, ...(state ? { state } : {}), ...(after !== undefined ? { after } : {}) });
      const now = tp.clock.now();
      const current = await tp.identity.store.findCertificates(items.flatMap((d) => (d.currentCertificateSerial ? [d.currentCertificateSerial] : [])));
      return {
        items: items.map((d) => deviceView(d, product, now, current, { history: false })),
        ...(items.length === limit ? { next: items.at(-1)!.serial } : {}),
      };
    },
  );

  app.get<{ Params: DeviceParams }>('/v1/products/:sku/devices/:serial', { schema: { tags: ['devices'], params: deviceParams } }, async (request) => {
    await authorise(tp, request, 'device:read');
    const { product, device } = await findDevice(tp, request.params);
    const [installed, tags] = await Promise.all([tp.updates.store.deviceRelease(device.id), tp.updates.store.deviceTags(device.id)]);
    return {
      ...deviceView(device, product, tp.clock.now(), await tp.identity.store.listDeviceCertificates(device.id)),
      tags,
      installedRelease: installed ? { releaseId: installed.releaseId, version: installed.version, securityVersion: installed.securityVersion, highestSecurityVersion: installed.highestSecurityVersion, installedAt: installed.installedAt.toISOString() } : null,
    };
  });

  app.get<{ Params: DeviceParams }>('/v1/products/:sku/devices/:serial/history', { schema: { tags: ['devices'], params: deviceParams } }, async (request) => {
    await authorise(tp, request, 'device:read');
    const { device } = await findDevice(tp, request.params);
    return { items: (await tp.identity.store.listSubjectEvents('device', device.id)).map(eventView) };
  });

  const issuanceRoute = (kind: IssuanceKind) =>
    app.post<{ Params: DeviceParams; Body: { csr: string } }>(
      `/v1/products/:sku/devices/:serial/${kind}`,
      { schema: { tags: ['devices'], params: deviceParams, body: csrBody } },
      async (request, reply) => {
        const { token, actor } = await authorise(tp, request, kind === 'enroll' ? 'device:enroll' : 'device:write');
        requireProductScope(token, request.params.sku);
        const product = await tp.product(request.params.sku);
        const provenance = { via: 'api', ...stationOf(request) };
        const csr = await tp.verifyCsr(csrDerFromText(request.body.csr)); // attacker-controlled: size-limited, POP checked (on the thread pool)
        // A factory enrolls only the serials of an open batch naming it, and spends that serial's token.
        const factory = token.role === 'factory' ? { factory: token.owner } : {};
        const { certificate, issuer } = await tp.issuance.issue({ kind, product, serial: request.params.serial, csr, actor, provenance, ...factory });
        return reply.code(201).send({
          certificate: toPem(certificate.der, 'CERTIFICATE'),
          chain: await chainOf(issuer.id),
          serialNumber: certificate.serial,
          notAfter: certificate.notAfter.toISOString(),
        });
      },
    );
  issuanceRoute('enroll');
  issuanceRoute('renew');

  for (const transition of ['suspend', 'reinstate', 'decommission'] as const) {
    app.post<{ Params: DeviceParams }>(
      `/v1/products/:sku/devices/:serial/${transition}`,
      { schema: { tags: ['devices'], params: deviceParams, body: emptyBody } },
      async (request) => {
        const { actor } = await authorise(tp, request, 'device:write');
        const product = await tp.product(request.params.sku);
        const device = await changeDeviceState(tp.identity, product, request.params.serial, { transition }, actor);
        return deviceView(device, product, tp.clock.now(), await tp.identity.store.listDeviceCertificates(device.id));
      },
    );
  }

  app.post<{ Params: DeviceParams; Body: { reason: string } }>(
    '/v1/products/:sku/devices/:serial/revoke',
    { schema: { tags: ['devices'], params: deviceParams, body: revokeBody } },
    async (request) => {
      const { actor } = await authorise(tp, request, 'device:write');
      const product = await tp.product(request.params.sku);
      const reason = parseOperatorRevocationReason(request.body.reason);
      const device = await changeDeviceState(tp.identity, product, request.params.serial, { transition: 'revoke', reason }, actor);
      return deviceView(device, product, tp.clock.now(), await tp.identity.store.listDeviceCertificates(device.id));
    },
  );

  reprovisionRoute(app, tp);
}

const reprovisionBody = {
  type: 'object',
  additionalProperties: false,
  required: ['via', 'reason'],
  properties: {
    via: { type: 'string', enum: ['token', 'bootstrap', 'api'], description: 'the one path the revoked device may enroll by, once' },
    reason: { type: 'string', minLength: 1, maxLength: 500, description: 'why: recorded in the ledger with who decided' },
  },
} as const;

/**
 * DESIGN rule 7: a revoked device leaves `revoked` only by an operator's decision, recorded with
 * who decided and why; it allows one enrollment by the chosen path. With `via: token` the answer
 * carries a fresh one-time token for the serial, shown this once (only its hash is stored).
 */
function reprovisionRoute(app: FastifyInstance, tp: Trustplane): void {
  app.post<{ Params: DeviceParams; Body: ReprovisionInput }>(
    '/v1/products/:sku/devices/:serial/reprovision',
    { schema: { tags: ['devices'], params: deviceParams, body: reprovisionBody } },
    async (request) => {
      const { actor } = await authorise(tp, request, 'device:write');
      const product = await tp.product(request.params.sku);
      const { device, decision, token } = await authoriseReprovision(tp.enrollment, product, request.params.serial, request.body, actor);
      return {
        product: product.sku,
        serial: device.serial,
        state: device.state,
        via: decision.via,
        until: decision.until.toISOString(),
        ...(token === undefined ? {} : { token }),
      };
    },
  );
}

export async function findDevice(tp: Trustplane, params: DeviceParams) {
  const product = await tp.product(params.sku);
  const device = await tp.identity.store.findDevice(product.id, params.serial);
  if (!device) throw new TrustplaneError('DEVICE_NOT_FOUND');
  return { product, device };
}
