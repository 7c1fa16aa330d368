/**
 * Time-bound SSH access through the real API, for suites that need a granted certificate (the
 * end-to-end test with a real sshd and the agent): a technician asks, an approver approves, the
 * technician's public key is certified. docs/design/access.md.
 */
import assert from 'node:assert/strict';
import type { TestServer } from './test-server.ts';

export interface AccessPeople {
  technician: string;
  approver: string;
}

/** A technician's and an approver's tokens (owners `tina` and `anna` unless named). */
export async function accessPeople(server: Pick<TestServer, 'tp'>, owners = { technician: 'tina', approver: 'anna' }): Promise<AccessPeople> {
  const make = async (role: 'technician' | 'approver', owner: string) => (await server.tp.tokens.create({ role, owner, ttlSeconds: 12 * 3600 }, 'test')).secret;
  return { technician: await make('technician', owners.technician), approver: await make('approver', owners.approver) };
}

export interface GrantedCertificate {
  grantId: string;
  serial: string;
  /** one line: `ssh-ed25519-cert-v01@openssh.com AAAA… <key id>` */
  certificate: string;
  validBefore: string;
}

/**
 * An approved grant and the certificate for `publicKey` (an authorized_keys line): `target` is
 * `{ devices: [...] }`, `{ tag }` or `{ product: true }`.
 */
export async function grantedCertificate(
  server: Pick<TestServer, 'api'>,
  people: AccessPeople,
  args: { sku: string; target: { devices: string[] } | { tag: string } | { product: true }; publicKey: string; durationSeconds?: number; purpose?: string },
): Promise<GrantedCertificate> {
  const grants = `/v1/products/${args.sku}/access/grants`;
  const asked = await server.api('POST', grants, { ...args.target, purpose: args.purpose ?? 'end-to-end test', durationSeconds: args.durationSeconds ?? 3600 }, people.technician);
  assert.equal(asked.status, 201, JSON.stringify(asked.body));
  const approved = await server.api('POST', `${grants}/${asked.body.id}/approve`, {}, people.approver);
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  const issued = await server.api('POST', `${grants}/${asked.body.id}/certificates`, { publicKey: args.publicKey }, people.technician);
  assert.equal(issued.status, 201, JSON.stringify(issued.body));
  return { grantId: asked.body.id, serial: asked.body.serial, certificate: issued.body.certificate, validBefore: issued.body.validBefore };
}

/** Ends a grant early (its serial goes into the product's KRL). */
export async function endGrant(server: Pick<TestServer, 'api'>, people: AccessPeople, sku: string, grantId: string, reason = 'ended by the test'): Promise<void> {
  const ended = await server.api('POST', `/v1/products/${sku}/access/grants/${grantId}/end`, { reason }, people.approver);
  assert.equal(ended.status, 200, JSON.stringify(ended.body));
}
