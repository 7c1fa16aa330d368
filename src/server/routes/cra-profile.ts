import type { FastifyInstance, FastifyReply } from 'fastify';
import { assuranceLevels, conformityProcedures } from '../../compliance/conformity-procedures.ts';
import { changeCraProfile } from '../../compliance/cra-profile.ts';
import { MAX_JUSTIFICATION_LENGTH } from '../../compliance/cra-profile-input.ts';
import type { CraProfileRecord } from '../../compliance/cra-profile.types.ts';
import { craProfileView } from '../../compliance/cra-profile-view.ts';
import { installationSecurityTxt, productSecurityTxt, renderSecurityTxt, type SecurityTxt } from '../../compliance/security-txt.ts';
import { MAX_LANGUAGES, MAX_URI_LENGTH } from '../../compliance/vulnerability-contact.ts';
import { TrustplaneError } from '../../core/errors.ts';
import { craClasses } from '../../pki/records.types.ts';
import { authorise } from '../auth.ts';
import type { Trustplane } from '../trustplane.ts';
import { skuParams } from './schemas.ts';

const declaredDate = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$', description: 'a month YYYY-MM (its last day) or a date YYYY-MM-DD' } as const;

/** PATCH body: every field optional; null clears one (docs/design/api.md, docs/design/cra.md). */
export const craProfileBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    category: { type: 'string', enum: craClasses, description: "the product's CRA category; an Annex entry implies it" },
    annexEntry: { type: ['string', 'null'], pattern: '^(III-(I|II)|IV)-[0-9]{1,2}$', description: 'III-I-1…19, III-II-1…4, IV-1…3' },
    placedOnMarket: { ...declaredDate, type: ['string', 'null'] },
    supportUntil: declaredDate,
    supportPeriodJustification: { type: ['string', 'null'], maxLength: MAX_JUSTIFICATION_LENGTH, description: 'why the support period is under five years (CRA Art 13(8))' },
    vulnerabilityContact: { type: ['string', 'null'], maxLength: MAX_URI_LENGTH, description: 'mailto: or https://' },
    cvdPolicyUrl: { type: ['string', 'null'], maxLength: MAX_URI_LENGTH, description: 'https://' },
    preferredLanguages: { type: ['array', 'null'], maxItems: MAX_LANGUAGES, items: { type: 'string', maxLength: 64 } },
    harmonisedStandardsAppliedInFull: { type: 'boolean', description: 'CRA Art 32(2)' },
    certificationRequiredByDelegatedAct: { type: 'boolean', description: 'CRA Art 8(1)' },
    memberStates: {
      type: ['string', 'array', 'null'],
      maxLength: 8,
      maxItems: 64,
      items: { type: 'string', maxLength: 8 },
      description: 'where the product is made available (CRA Art 14(2)(a), (4)(a)): "all-eu", or EU/EEA Member State codes (ISO 3166-1 alpha-2; Greece EL or GR, stored EL)',
    },
    route: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['procedure'],
      properties: { procedure: { type: 'string', enum: conformityProcedures }, assuranceLevel: { type: 'string', enum: assuranceLevels } },
    },
  },
} as const;

/**
 * A product's CRA profile (/v1) and the vulnerability contact points as security.txt (RFC 9116):
 * the installation's at /.well-known/security.txt and each product's at /products/{sku}/security.txt,
 * public plain text, no token.
 */
export function craProfileRoutes(app: FastifyInstance, tp: Trustplane): void {
  const view = (profile: CraProfileRecord) =>
    craProfileView(profile, { now: tp.clock.now(), installation: tp.cra.installation, securityTxtUrl: productSecurityTxtUrl(tp, profile.sku) });

  app.get<{ Params: { sku: string } }>('/v1/products/:sku/cra-profile', { schema: { tags: ['products'], params: skuParams } }, async (request) => {
    await authorise(tp, request, ['product:read', 'release:read']);
    return view(await profileOf(tp, request.params.sku));
  });

  app.patch<{ Params: { sku: string }; Body: unknown }>('/v1/products/:sku/cra-profile', { schema: { tags: ['products'], params: skuParams, body: craProfileBody } }, async (request) => {
    const { actor } = await authorise(tp, request, 'product:write');
    const { profile } = await changeCraProfile(tp.cra, request.params.sku, request.body, actor);
    tp.productChanged(request.params.sku);
    return view(profile);
  });

  app.get('/.well-known/security.txt', { schema: { hide: true } }, async (_request, reply) => {
    const url = `${tp.identity.config.publicUrl()}/.well-known/security.txt`;
    return sendSecurityTxt(reply, installationSecurityTxt(tp.cra.installation, tp.clock.now(), url));
  });

  app.get<{ Params: { sku: string } }>('/products/:sku/security.txt', { schema: { hide: true, params: skuParams } }, async (request, reply) => {
    const profile = await profileOf(tp, request.params.sku);
    return sendSecurityTxt(reply, productSecurityTxt(profile, tp.cra.installation, tp.clock.now(), productSecurityTxtUrl(tp, profile.sku)));
  });
}

async function profileOf(tp: Trustplane, sku: string): Promise<CraProfileRecord> {
  const profile = await tp.cra.store.findCraProfile(sku);
  if (!profile) throw new TrustplaneError('PRODUCT_NOT_FOUND');
  return profile;
}

function productSecurityTxtUrl(tp: Trustplane, sku: string): string {
  return `${tp.identity.config.publicUrl()}/products/${encodeURIComponent(sku)}/security.txt`;
}

/** RFC 9116 §3: text/plain, UTF-8; made from the profile as stored now, so caches keep it briefly. */
function sendSecurityTxt(reply: FastifyReply, file: SecurityTxt | undefined): FastifyReply {
  if (!file) throw new TrustplaneError('SECURITY_TXT_NOT_CONFIGURED');
  return reply.type('text/plain; charset=utf-8').header('cache-control', 'public, max-age=300').send(renderSecurityTxt(file));
}
