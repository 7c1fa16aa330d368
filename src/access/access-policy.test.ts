import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrustplaneError } from '../core/errors.ts';
import { applyPolicyChange } from './access-policy.ts';
import { defaultAccessPolicy, type AccessPolicy } from './access.types.ts';
import { checkRequest } from './grant-requests.ts';
import { grantPrincipals } from './grant-views.ts';

const refused = (f: () => unknown, code: string, field?: string) =>
  assert.throws(f, (e: unknown) => e instanceof TrustplaneError && e.code === code && (field === undefined || e.details?.field === field));

describe('access policy changes', () => {
  it('keeps what is not named, sorts and dedupes extensions, clears with null', () => {
    const p = applyPolicyChange({ ...defaultAccessPolicy, forceCommand: '/bin/x' }, { extensions: ['permit-pty', 'permit-agent-forwarding', 'permit-pty'], forceCommand: null }, false);
    assert.deepEqual(p.extensions, ['permit-agent-forwarding', 'permit-pty']);
    assert.equal(p.forceCommand, null);
    assert.equal(p.maxDurationSeconds, 8 * 3600);
  });

  it('break-glass stays the shortest maximum', () => {
    refused(() => applyPolicyChange(defaultAccessPolicy, { maxDurationSeconds: 1800 }, false), 'VALIDATION_FAILED', 'breakGlassMaxSeconds');
    assert.equal(applyPolicyChange(defaultAccessPolicy, { maxDurationSeconds: 3600 }, false).maxDurationSeconds, 3600);
  });

  it('source-address takes sshd syntax only: addresses and CIDR blocks, IPv4 and IPv6', () => {
    for (const ok of ['10.0.0.1', '10.0.0.0/8,192.168.1.0/24', '::1', '2001:db8::/32', '0.0.0.0/0']) assert.equal(applyPolicyChange(defaultAccessPolicy, { sourceAddress: ok }, false).sourceAddress, ok);
    for (const bad of ['10.0.0.0/33', '256.1.1.1', '10.0.0.1 ', 'example.com', '10.0.0.0/8,', '::1/129', '1.2.3.4/8/8', '01.2.3.4', '', '*']) refused(() => applyPolicyChange(defaultAccessPolicy, { sourceAddress: bad }, false), 'VALIDATION_FAILED', 'sourceAddress');
  });

  it('the CA key algorithm is fixed once the keys exist', () => {
    assert.equal(applyPolicyChange(defaultAccessPolicy, { caKeyAlgorithm: 'ecdsa-p256' }, false).caKeyAlgorithm, 'ecdsa-p256');
    refused(() => applyPolicyChange(defaultAccessPolicy, { caKeyAlgorithm: 'ecdsa-p256' }, true), 'VALIDATION_FAILED', 'caKeyAlgorithm');
    refused(() => applyPolicyChange(defaultAccessPolicy, { caKeyAlgorithm: 'rsa-3072' }, false), 'VALIDATION_FAILED', 'caKeyAlgorithm');
  });
});

describe('access requests', () => {
  const policy: AccessPolicy = { ...defaultAccessPolicy };
  it('a duration over the policy, or over the break-glass maximum, is refused', () => {
    refused(() => checkRequest({ devices: ['A'], purpose: 'p', durationSeconds: 8 * 3600 + 1 }, policy), 'ACCESS_DURATION_OVER_POLICY');
    refused(() => checkRequest({ devices: ['A'], purpose: 'p', durationSeconds: 3601, breakGlass: true }, policy), 'ACCESS_DURATION_OVER_POLICY');
    assert.equal(checkRequest({ devices: ['A'], purpose: 'p', durationSeconds: 3600, breakGlass: true }, policy).breakGlass, true);
  });

  it('names exactly one target; serials are deduplicated and sorted', () => {
    refused(() => checkRequest({ purpose: 'p', durationSeconds: 600 }, policy), 'VALIDATION_FAILED');
    refused(() => checkRequest({ devices: ['A'], product: true, purpose: 'p', durationSeconds: 600 }, policy), 'VALIDATION_FAILED');
    refused(() => checkRequest({ product: false, purpose: 'p', durationSeconds: 600 }, policy), 'VALIDATION_FAILED');
    refused(() => checkRequest({ devices: ['bad serial'], purpose: 'p', durationSeconds: 600 }, policy), 'VALIDATION_FAILED');
    assert.deepEqual(checkRequest({ devices: ['B', 'A', 'B'], purpose: 'p', durationSeconds: 600 }, policy).target, { kind: 'devices', serials: ['A', 'B'] });
  });

  it('principals: each device, a tag, or the product, as the device principals file names them', () => {
    assert.deepEqual(grantPrincipals('GW', { kind: 'devices', serials: ['A', 'B'] }), ['device:GW:A', 'device:GW:B']);
    assert.deepEqual(grantPrincipals('GW', { kind: 'tag', tag: 'eu' }), ['tag:eu']);
    assert.deepEqual(grantPrincipals('GW', { kind: 'product' }), ['product:GW']);
  });
});
