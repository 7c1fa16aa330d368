import type { Kysely, Selectable } from 'kysely';
import type { OnlineMetadataRecord, ReleaseManagerRecord, RootRecord, TargetsRecord, TufKeysRecord } from '../updates/tuf-store.types.ts';
import type { TufReads } from '../updates/updates-store.types.ts';
import { bytes } from './identity-rows.ts';
import type { Database, ReleaseManagersTable, TufKeysTable, TufOnlineTable, TufRootsTable, TufTargetsTable } from './schema.types.ts';

const toKeys = (r: Selectable<TufKeysTable>): TufKeysRecord => ({
  productId: r.product_id,
  snapshotKeyId: r.snapshot_key_id,
  timestampKeyId: r.timestamp_key_id,
  manifestEd25519KeyId: r.manifest_ed25519_key_id,
  manifestMlDsaKeyId: r.manifest_ml_dsa_key_id,
  createdAt: r.created_at,
});

export const toRoot = (r: Selectable<TufRootsTable>): RootRecord => ({
  productId: r.product_id,
  version: r.version,
  metadata: r.metadata,
  officers: r.officers as RootRecord['officers'],
  managers: r.managers as RootRecord['managers'],
  state: r.state as RootRecord['state'],
  proposedBy: r.proposed_by,
  proposedAt: r.proposed_at,
  publishedAt: r.published_at,
});

const toManager = (r: Selectable<ReleaseManagersTable>): ReleaseManagerRecord => ({
  productId: r.product_id,
  keyId: r.key_id,
  owner: r.owner,
  publicKey: bytes(r.public_key),
  expiresAt: r.expires_at,
  rootVersion: r.root_version,
});

const toTargets = (r: Selectable<TufTargetsTable>): TargetsRecord => ({
  id: r.id,
  productId: r.product_id,
  version: r.version,
  baseVersion: r.base_version,
  releaseId: r.release_id,
  metadata: r.metadata,
  state: r.state as TargetsRecord['state'],
  createdAt: r.created_at,
  publishedAt: r.published_at,
});

const toOnline = (r: Selectable<TufOnlineTable>): OnlineMetadataRecord => ({
  productId: r.product_id,
  role: r.role as OnlineMetadataRecord['role'],
  version: r.version,
  metadata: r.metadata,
  expiresAt: r.expires_at,
  createdAt: r.created_at,
});

/** TUF repository reads over the database or a unit of work's transaction (the same queries). */
export function tufReads(db: Kysely<Database>): TufReads {
  return {
    async findTufKeys(productId) {
      const r = await db.selectFrom('tuf_keys').selectAll().where('product_id', '=', productId).executeTakeFirst();
      return r && toKeys(r);
    },
    async findRoot(productId, version) {
      const r = await db.selectFrom('tuf_roots').selectAll().where('product_id', '=', productId).where('version', '=', version).executeTakeFirst();
      return r && toRoot(r);
    },
    async latestRoot(productId, state) {
      const r = await db.selectFrom('tuf_roots').selectAll().where('product_id', '=', productId).where('state', '=', state).orderBy('version', 'desc').limit(1).executeTakeFirst();
      return r && toRoot(r);
    },
    async listReleaseManagers(productId) {
      return (await db.selectFrom('release_managers').selectAll().where('product_id', '=', productId).orderBy('owner').execute()).map(toManager);
    },
    async latestPublishedTargets(productId) {
      const r = await db.selectFrom('tuf_targets').selectAll().where('product_id', '=', productId).where('state', '=', 'published').orderBy('version', 'desc').limit(1).executeTakeFirst();
      return r && toTargets(r);
    },
    async findPublishedTargets(productId, version) {
      const r = await db.selectFrom('tuf_targets').selectAll().where('product_id', '=', productId).where('state', '=', 'published').where('version', '=', version).executeTakeFirst();
      return r && toTargets(r);
    },
    async findDraft(releaseId, baseVersion) {
      const r = await db.selectFrom('tuf_targets').selectAll().where('release_id', '=', releaseId).where('state', '=', 'draft').where('base_version', '=', baseVersion).executeTakeFirst();
      return r && toTargets(r);
    },
    async findPublicationOf(releaseId) {
      const r = await db.selectFrom('tuf_targets').selectAll().where('release_id', '=', releaseId).where('state', '=', 'published').executeTakeFirst();
      return r && toTargets(r);
    },
    async findResignDraft(productId, baseVersion) {
      const r = await db.selectFrom('tuf_targets').selectAll().where('product_id', '=', productId).where('release_id', 'is', null).where('state', '=', 'draft').where('base_version', '=', baseVersion).executeTakeFirst();
      return r && toTargets(r);
    },
    async latestOnlineMetadata(productId, role) {
      const r = await db.selectFrom('tuf_online').selectAll().where('product_id', '=', productId).where('role', '=', role).orderBy('version', 'desc').limit(1).executeTakeFirst();
      return r && toOnline(r);
    },
    async findOnlineMetadata(productId, role, version) {
      const r = await db.selectFrom('tuf_online').selectAll().where('product_id', '=', productId).where('role', '=', role).where('version', '=', version).executeTakeFirst();
      return r && toOnline(r);
    },
  };
}
