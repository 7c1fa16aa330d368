import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Issue 15, refusals a device can repeat at will (docs/design/attestation.md, "Refusals a device
 * can repeat"): per device, refusal reason and scope (the device's state for DEVICE_NOT_ACTIVE,
 * empty otherwise), when its `attestation.failed` was last written and how many of the same
 * refusals were counted, not written, since. The next event written for it carries that count.
 * A row per device and reason, updated in place: the ledger grows by at most one event per window.
 */
export const refusalWindows: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('attestation_refusal_windows')
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
      .addColumn('suppressed', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('attestation_refusal_windows_pk', ['device_id', 'reason', 'scope'])
      .execute();
  },
  down(): Promise<void> {
    return Promise.reject(new Error('the refusal windows migration is not reversible'));
  },
};
