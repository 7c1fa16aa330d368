/** Token roles and what each may do. Factory tokens are further limited to named products. */
export const roles = ['admin', 'operator', 'factory', 'auditor', 'technician', 'approver'] as const;
export type Role = (typeof roles)[number];

export type Permission =
  | 'product:write'
  | 'product:read'
  | 'device:write'
  | 'device:enroll'
  | 'device:read'
  | 'token:write'
  | 'token:read'
  | 'ledger:read'
  | 'batch:write'
  | 'batch:read'
  | 'release:write'
  | 'release:read'
  // uploading a signature made elsewhere (an officer's root signature, a manager's approval): the signature is what counts
  | 'release:approve'
  // final and fleet-wide (its rollouts aborted, dropped from the next targets): its own permission,
  // so a role may stop releases without making them; admin and operator hold it today
  | 'release:withdraw'
  // the vulnerability register: imports, statuses (VEX statements the server takes on the token's word), manual entries
  | 'vulnerability:write'
  // publishing CSAF advisories: public and mirrored by aggregators, so never undone; its own permission
  | 'advisory:publish'
  // the register of privileged access paths (docs/design/access-paths.md): adding, reviewing, retiring; reading it
  | 'access-path:write'
  | 'access-path:read'
  // time-bound SSH access (docs/design/access.md): asking for it and receiving its certificate
  | 'access:request'
  // deciding on someone else's request, reviewing break-glass, ending anyone's grant; never one's own request (access/grant-decisions.ts)
  | 'access:approve'
  | 'access:read'
  // a product's access policy and SSH CAs: what every grant of the product may at most be
  | 'access:policy'
  // replacing the attestation verifier key (docs/design/attestation.md "Verifier keys"): installation-wide
  | 'attestation:verifier-key';

const grants: Record<Role, readonly Permission[]> = {
  admin: ['product:write', 'product:read', 'device:write', 'device:enroll', 'device:read', 'token:write', 'token:read', 'ledger:read', 'batch:write', 'batch:read', 'release:write', 'release:read', 'release:approve', 'release:withdraw', 'vulnerability:write', 'advisory:publish', 'access-path:write', 'access-path:read', 'access:approve', 'access:read', 'access:policy', 'attestation:verifier-key'],
  // a build pipeline's token: uploads images and SBOMs and creates releases; approving one takes release managers' keys
  operator: ['product:read', 'device:write', 'device:enroll', 'device:read', 'ledger:read', 'batch:write', 'batch:read', 'release:write', 'release:read', 'release:approve', 'release:withdraw', 'vulnerability:write', 'advisory:publish'],
  // and only the serials of an open batch that names the token's owner (server/auth.ts)
  factory: ['device:enroll'],
  // the auditor reads the access-path register; the operator neither reads nor writes it: an operator token is itself a
  // registered path (often a pipeline's), and the register spans products and tokens beyond an operator's scope
  auditor: ['product:read', 'device:read', 'token:read', 'ledger:read', 'batch:read', 'release:read', 'access-path:read', 'access:read'],
  // a field technician: asks for access to named devices and receives the certificate; approves nothing
  technician: ['product:read', 'device:read', 'access:request', 'access:read'],
  // decides on others' requests and reviews break-glass; asks for nothing itself
  approver: ['product:read', 'device:read', 'access:approve', 'access:read'],
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return grants[role].includes(permission);
}

export function isRole(s: unknown): s is Role {
  return typeof s === 'string' && (roles as readonly string[]).includes(s);
}
