import type { ReleaseReferenceValues } from '../updates/release-reference-values.ts';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Clock } from '../core/clock.ts';
import type { ReleaseKind, ReleaseRecord, ReleaseState, ReleaseWithdrawal, SbomRecord, UpdateType } from '../updates/release.types.ts';
import type { OnlineMetadataRecord, ReleaseManagerRecord, RootRecord, TargetsRecord, TufKeysRecord } from '../updates/tuf-store.types.ts';
import type { TufReads, UpdatesStore, UpdatesUnitOfWork } from '../updates/updates-store.types.ts';
import { bytes } from './identity-rows.ts';
import { runUnitOfWork } from './identity-repository.ts';
import { IdentityUnitOfWorkImpl } from './identity-unit-of-work.ts';
import type { Database, ReleasesTable } from './schema.types.ts';
import { tufReads } from './tuf-reads.ts';
import { rolloutReads, rolloutStatements, toRollout } from './rollout-rows.ts';
import type { DeviceReleaseRecord, RolloutCohort, RolloutProgress, RolloutRecord, UpdateOutcome } from '../updates/rollout.types.ts';
import type { RolloutReads } from '../updates/rollout-store.types.ts';

const toRelease = (r: Selectable<ReleasesTable>): ReleaseRecord => ({
  id: r.id,
  productId: r.product_id,
  version: r.version,
  securityVersion: Number(r.security_version),
  kind: r.kind as ReleaseKind,
  updateType: r.update_type as UpdateType,
  hardware: r.hardware,
  imageName: r.image_name,
  imageSha256: r.image_sha256,
  imageSha512: r.image_sha512,
  imageLength: Number(r.image_length),
  sbom: (r.sbom ?? null) as SbomRecord | null,
  state: r.state as ReleaseState,
  createdBy: r.created_by,
  createdAt: r.created_at,
  publishedAt: r.published_at,
  retainUntil: r.retain_until,
  targetName: r.target_name,
  manifest: r.manifest === null ? null : bytes(r.manifest),
  withdrawal: r.withdrawn_at === null ? null : { at: r.withdrawn_at, by: r.withdrawn_by ?? '', reason: r.withdrawn_reason ?? '' },
  referenceValues: (r.reference_values ?? null) as ReleaseReferenceValues | null,
});

async function releaseByVersion(db: Kysely<Database>, productId: string, kind: ReleaseKind, version: string): Promise<ReleaseRecord | undefined> {
  const r = await db.selectFrom('releases').selectAll().where('product_id', '=', productId).where('kind', '=', kind).where('version', '=', version).executeTakeFirst();
  return r && toRelease(r);
}

/** The identity unit of work, plus the release and TUF tables, in the same transaction. */
class UpdatesUnitOfWorkImpl extends IdentityUnitOfWorkImpl implements UpdatesUnitOfWork {
  readonly tuf: TufReads;
  readonly #rollouts: ReturnType<typeof rolloutStatements>;

  constructor(tx: Transaction<Database>) {
    super(tx);
    this.tuf = tufReads(tx);
    this.#rollouts = rolloutStatements(tx);
  }

  async insertRollout(r: RolloutRecord): Promise<void> {
    this.wrote = true;
    await this.#rollouts.insertRollout(r);
  }
  insertRolloutCohort(r: RolloutRecord, selector: RolloutCohort | { kind: 'devices'; deviceIds: string[] }): Promise<number> {
    return this.#rollouts.insertRolloutCohort(r, selector);
  }
  async lockRollout(id: string): Promise<RolloutRecord | undefined> {
    const r = await this.tx.selectFrom('rollouts').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    return r && toRollout(r);
  }
  async findLiveRollout(productId: string, specSha256: string): Promise<RolloutRecord | undefined> {
    const r = await this.tx.selectFrom('rollouts').selectAll().where('product_id', '=', productId).where('spec_sha256', '=', specSha256).where('state', 'in', ['active', 'paused']).executeTakeFirst();
    return r && toRollout(r);
  }
  async lockLiveRolloutsOf(releaseId: string): Promise<RolloutRecord[]> {
    const rows = await this.tx.selectFrom('rollouts').selectAll().where('release_id', '=', releaseId).where('state', 'in', ['active', 'paused']).orderBy('created_at').orderBy('id').forUpdate().execute();
    return rows.map(toRollout);
  }
  async updateRollout(id: string, patch: Pick<RolloutRecord, 'stage' | 'state' | 'stageStartedAt' | 'pausedReason'> & { cohortSize?: number }): Promise<void> {
    this.wrote = true;
    await this.#rollouts.updateRollout(id, patch);
  }
  rolloutProgress(r: RolloutRecord): Promise<RolloutProgress> {
    return this.#rollouts.progress(r);
  }
  async setRolloutDeviceOutcome(rolloutId: string, deviceId: string, outcome: UpdateOutcome, reason: string | null, at: Date): Promise<string | undefined> {
    const before = await this.#rollouts.setRolloutDeviceOutcome(rolloutId, deviceId, outcome, reason, at);
    if (before !== undefined && before !== outcome) this.wrote = true;
    return before;
  }
  findDeviceRelease(deviceId: string): Promise<DeviceReleaseRecord | undefined> {
    return this.#rollouts.deviceRelease(deviceId);
  }
  lastUpdateReport(deviceId: string) {
    return this.#rollouts.lastUpdateReport(deviceId);
  }
  async recordDeviceRelease(deviceId: string, release: ReleaseRecord, at: Date): Promise<void> {
    this.wrote = true;
    await this.#rollouts.recordDeviceRelease(deviceId, release, at);
  }
  async setDeviceTags(deviceId: string, add: string[], remove: string[]): Promise<void> {
    this.wrote = true;
    await this.#rollouts.setDeviceTags(deviceId, add, remove);
  }


  async insertRelease(r: ReleaseRecord): Promise<boolean> {
    const inserted = await this.tx
      .insertInto('releases')
      .values({
        id: r.id,
        product_id: r.productId,
        version: r.version,
        security_version: r.securityVersion,
        kind: r.kind,
        update_type: r.updateType,
        hardware: sql<string[]>`${r.hardware}::text[]`,
        image_name: r.imageName,
        image_sha256: r.imageSha256,
        image_sha512: r.imageSha512,
        image_length: r.imageLength,
        sbom: r.sbom === null ? null : JSON.stringify(r.sbom),
        reference_values: r.referenceValues === null ? null : JSON.stringify(r.referenceValues),
        state: r.state,
        created_by: r.createdBy,
        created_at: r.createdAt,
        published_at: r.publishedAt,
        retain_until: r.retainUntil,
      })
      .onConflict((oc) => oc.constraint('releases_product_kind_version').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) this.wrote = true;
    return inserted !== undefined;
  }

  findReleaseByVersion(productId: string, kind: ReleaseKind, version: string): Promise<ReleaseRecord | undefined> {
    return releaseByVersion(this.tx, productId, kind, version);
  }

  async lockRelease(id: string): Promise<ReleaseRecord | undefined> {
    const r = await this.tx.selectFrom('releases').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    return r && toRelease(r);
  }

  async deleteRelease(id: string): Promise<void> {
    this.wrote = true;
    await this.tx.deleteFrom('releases').where('id', '=', id).execute();
  }

  async publishRelease(id: string, p: { at: Date; targetName: string; manifest: Uint8Array; retainUntil: Date | null }): Promise<void> {
    this.wrote = true;
    await this.tx.updateTable('releases').set({ state: 'published', published_at: p.at, target_name: p.targetName, manifest: p.manifest, retain_until: p.retainUntil }).where('id', '=', id).execute();
  }

  async withdrawRelease(id: string, w: ReleaseWithdrawal): Promise<void> {
    this.wrote = true;
    await this.tx.updateTable('releases').set({ state: 'withdrawn', withdrawn_at: w.at, withdrawn_by: w.by, withdrawn_reason: w.reason }).where('id', '=', id).execute();
  }

  async withdrawnTargetNames(productId: string): Promise<string[]> {
    const rows = await this.tx.selectFrom('releases').select('target_name').where('product_id', '=', productId).where('state', '=', 'withdrawn').where('target_name', 'is not', null).execute();
    return rows.flatMap((r) => (r.target_name === null ? [] : [r.target_name]));
  }

  async insertTufKeys(k: TufKeysRecord): Promise<void> {
    this.wrote = true;
    await this.tx
      .insertInto('tuf_keys')
      .values({ product_id: k.productId, snapshot_key_id: k.snapshotKeyId, timestamp_key_id: k.timestampKeyId, manifest_ed25519_key_id: k.manifestEd25519KeyId, manifest_ml_dsa_key_id: k.manifestMlDsaKeyId, created_at: k.createdAt })
      .onConflict((oc) => oc.column('product_id').doNothing())
      .execute();
  }

  async lockTufKeys(productId: string): Promise<TufKeysRecord | undefined> {
    const r = await this.tx.selectFrom('tuf_keys').select('product_id').where('product_id', '=', productId).forUpdate().executeTakeFirst();
    return r && this.tuf.findTufKeys(productId);
  }

  async saveRootProposal(r: RootRecord): Promise<void> {
    this.wrote = true;
    const row = { metadata: r.metadata, officers: JSON.stringify(r.officers), managers: JSON.stringify(r.managers), state: r.state, proposed_by: r.proposedBy, proposed_at: r.proposedAt, published_at: r.publishedAt };
    await this.tx
      .insertInto('tuf_roots')
      .values({ product_id: r.productId, version: r.version, ...row })
      .onConflict((oc) => oc.columns(['product_id', 'version']).doUpdateSet(row).where('tuf_roots.state', '=', 'proposed'))
      .execute();
  }

  async updateRootMetadata(productId: string, version: number, metadata: string): Promise<void> {
    this.wrote = true;
    await this.tx.updateTable('tuf_roots').set({ metadata }).where('product_id', '=', productId).where('version', '=', version).execute();
  }

  async markRootPublished(productId: string, version: number, at: Date): Promise<void> {
    this.wrote = true;
    await this.tx.updateTable('tuf_roots').set({ state: 'published', published_at: at }).where('product_id', '=', productId).where('version', '=', version).execute();
  }

  async replaceReleaseManagers(productId: string, managers: ReleaseManagerRecord[]): Promise<void> {
    this.wrote = true;
    await this.tx.deleteFrom('release_managers').where('product_id', '=', productId).execute();
    if (managers.length === 0) return;
    await this.tx
      .insertInto('release_managers')
      .values(managers.map((m) => ({ product_id: m.productId, key_id: m.keyId, owner: m.owner, public_key: m.publicKey, expires_at: m.expiresAt, root_version: m.rootVersion })))
      .execute();
  }

  // A draft is not trust state (it becomes some only with its approvals): no event of its own.
  async insertTargets(t: TargetsRecord): Promise<void> {
    await this.tx
      .insertInto('tuf_targets')
      .values({ id: t.id, product_id: t.productId, version: t.version, base_version: t.baseVersion, release_id: t.releaseId, metadata: t.metadata, state: t.state, created_at: t.createdAt, published_at: t.publishedAt })
      .execute();
  }

  async updateTargetsMetadata(id: string, metadata: string): Promise<void> {
    this.wrote = true;
    await this.tx.updateTable('tuf_targets').set({ metadata }).where('id', '=', id).execute();
  }

  async markTargetsPublished(id: string, at: Date): Promise<void> {
    this.wrote = true;
    await this.tx.updateTable('tuf_targets').set({ state: 'published', published_at: at }).where('id', '=', id).execute();
  }

  async markStaleDrafts(productId: string, publishedVersion: number): Promise<number> {
    const result = await this.tx.updateTable('tuf_targets').set({ state: 'stale' }).where('product_id', '=', productId).where('state', '=', 'draft').where('base_version', '<', publishedVersion).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async markDraftsStale(scope: { productId: string } | { releaseId: string }): Promise<number> {
    let query = this.tx.updateTable('tuf_targets').set({ state: 'stale' }).where('state', '=', 'draft');
    query = 'productId' in scope ? query.where('product_id', '=', scope.productId) : query.where('release_id', '=', scope.releaseId);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async insertOnlineMetadata(o: OnlineMetadataRecord): Promise<void> {
    this.wrote = true;
    await this.tx.insertInto('tuf_online').values({ product_id: o.productId, role: o.role, version: o.version, metadata: o.metadata, expires_at: o.expiresAt, created_at: o.createdAt }).execute();
  }
}

export class UpdatesRepository implements UpdatesStore {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly tuf: TufReads;
  readonly #rollouts: RolloutReads;

  constructor(db: Kysely<Database>, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
    this.tuf = tufReads(db);
    this.#rollouts = rolloutReads(db, (id) => this.findRelease(id));
  }

  findRollout(id: string) {
    return this.#rollouts.findRollout(id);
  }
  listRollouts(productId: string) {
    return this.#rollouts.listRollouts(productId);
  }
  rolloutProgressOf(rollout: RolloutRecord) {
    return this.#rollouts.rolloutProgressOf(rollout);
  }
  assignmentFor(deviceId: string) {
    return this.#rollouts.assignmentFor(deviceId);
  }
  deviceRelease(deviceId: string) {
    return this.#rollouts.deviceRelease(deviceId);
  }
  deviceTags(deviceId: string) {
    return this.#rollouts.deviceTags(deviceId);
  }
  listSoakingRollouts() {
    return this.#rollouts.listSoakingRollouts();
  }


  unitOfWork<T>(fn: (uow: UpdatesUnitOfWork) => Promise<T>, options?: { at?: Date }): Promise<T> {
    return runUnitOfWork(this.#db, (tx: Transaction<Database>) => new UpdatesUnitOfWorkImpl(tx), fn, options?.at ?? this.#clock.now());
  }

  async findRelease(id: string): Promise<ReleaseRecord | undefined> {
    const r = await this.#db.selectFrom('releases').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toRelease(r);
  }

  async listReleases(productId: string): Promise<ReleaseRecord[]> {
    return (await this.#db.selectFrom('releases').selectAll().where('product_id', '=', productId).orderBy('created_at').orderBy('id').execute()).map(toRelease);
  }

  findReleaseByVersion(productId: string, kind: ReleaseKind, version: string): Promise<ReleaseRecord | undefined> {
    return releaseByVersion(this.#db, productId, kind, version);
  }

  async findReleaseByTarget(productId: string, targetName: string, sha256: string): Promise<ReleaseRecord | undefined> {
    const r = await this.#db
      .selectFrom('releases')
      .selectAll()
      .where('product_id', '=', productId)
      .where('target_name', '=', targetName)
      .where('image_sha256', '=', sha256)
      .where('state', 'in', ['published', 'withdrawn'])
      .executeTakeFirst();
    return r && toRelease(r);
  }
}
