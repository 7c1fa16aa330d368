import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { foundation } from './migrations/0001-foundation.ts';
import { ledger } from './migrations/0002-ledger.ts';
import { enrollment } from './migrations/0003-enrollment.ts';
import { revokedIndex } from './migrations/0004-revoked-index.ts';
import { deviceRecovery } from './migrations/0005-device-recovery.ts';
import { revocationAtScale } from './migrations/0006-revocation-at-scale.ts';
import { blobs } from './migrations/0007-blobs.ts';
import { releases } from './migrations/0008-releases.ts';
import { tufRepository } from './migrations/0009-tuf-repository.ts';
import { rollouts } from './migrations/0010-rollouts.ts';
import { withdrawalAndRetries } from './migrations/0011-withdrawal-and-retries.ts';
import { vulnerabilities } from './migrations/0012-vulnerabilities.ts';
import { craProfile } from './migrations/0013-cra-profile.ts';
import { article14 } from './migrations/0014-article14.ts';
import { advisories } from './migrations/0015-advisories.ts';
import { memberStatesMigration } from './migrations/0016-member-states.ts';
import { accessGrants } from './migrations/0017-access-grants.ts';
import { accessPaths } from './migrations/0018-access-paths.ts';
import { attestation } from './migrations/0019-attestation.ts';
import { quoteClock } from './migrations/0020-quote-clock.ts';
import { manufacturerCas } from './migrations/0021-manufacturer-cas.ts';
import { verifierKeyRotation } from './migrations/0022-verifier-key-rotation.ts';
import { accessHardening } from './migrations/0023-access-hardening.ts';
import { refusalWindows } from './migrations/0024-refusal-windows.ts';
import { requiredPcrs } from './migrations/0025-required-pcrs.ts';
import { nonceHousekeeping } from './migrations/0026-nonce-housekeeping.ts';
import { krlPruning } from './migrations/0027-krl-pruning.ts';
import { evidenceRetries } from './migrations/0028-evidence-retries.ts';
import { nonceRate } from './migrations/0029-nonce-rate.ts';
import type { Database } from './schema.types.ts';

/** Versioned migrations, in order. Never edit one that has shipped: add the next. */
const migrations: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-ledger': ledger,
  '0003-enrollment': enrollment,
  '0004-revoked-index': revokedIndex,
  '0005-device-recovery': deviceRecovery,
  '0006-revocation-at-scale': revocationAtScale,
  '0007-blobs': blobs,
  '0008-releases': releases,
  '0009-tuf-repository': tufRepository,
  '0010-rollouts': rollouts,
  '0011-withdrawal-and-retries': withdrawalAndRetries,
  '0012-vulnerabilities': vulnerabilities,
  '0013-cra-profile': craProfile,
  '0014-article14': article14,
  '0015-advisories': advisories,
  '0016-member-states': memberStatesMigration,
  '0017-access-grants': accessGrants,
  '0018-access-paths': accessPaths,
  '0019-attestation': attestation,
  '0020-quote-clock': quoteClock,
  '0021-manufacturer-cas': manufacturerCas,
  '0022-verifier-key-rotation': verifierKeyRotation,
  '0023-access-hardening': accessHardening,
  '0024-refusal-windows': refusalWindows,
  '0025-required-pcrs': requiredPcrs,
  '0026-nonce-housekeeping': nonceHousekeeping,
  '0027-krl-pruning': krlPruning,
  '0028-evidence-retries': evidenceRetries,
  '0029-nonce-rate': nonceRate,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };

/** Brings the schema up to date; Kysely's migrator takes a lock, so concurrent servers are safe. */
export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed`, { cause: error });
  }
}
