import { join } from 'node:path';
import type { TargetFile } from '@tufjs/models';
import { Updater } from 'tuf-js';
import { makeDirectoryDurably } from '../durable-files.ts';
import { targetMissing, tufFailure } from './tuf-refusals.ts';
import type { UpdateStore } from './update-store.ts';
import type { UpdateTrust } from './update.types.ts';

export interface TufOptions {
  /** Per request; tuf-js's default is 100 s. */
  readonly fetchTimeoutMs?: number;
}

/**
 * Update step 3a: TUF refresh (client workflow 5.3–5.6) from the trusted metadata, and the
 * signed fileinfo of `targetName`. tuf-js checks signatures and thresholds, expiry (freeze),
 * version rollback and mix-and-match. On success what it verified becomes the trusted metadata.
 */
export async function refreshTargetInfo(
  store: UpdateStore,
  trust: UpdateTrust,
  targetName: string,
  options: TufOptions = {},
): Promise<{ updater: Updater; target: TargetFile }> {
  await store.seedTrustedRoot(trust);
  await store.copyTrustedMetadataToWork();
  await makeDirectoryDurably(store.stagingDir);
  const updater = new Updater({
    metadataDir: store.tufWorkDir,
    targetDir: store.stagingDir,
    metadataBaseUrl: `${trust.repository}/metadata`,
    targetBaseUrl: `${trust.repository}/targets`,
    // Retries belong to the agent's backoff, not to a loop inside one run.
    config: { fetchRetry: false, fetchTimeout: options.fetchTimeoutMs ?? 60_000 },
  });
  let target: TargetFile | undefined;
  try {
    await updater.refresh();
    // TUF 5.6.7: the target as the trusted targets role signs it (no delegations here).
    target = await updater.getTargetInfo(targetName);
  } catch (e) {
    throw tufFailure(e, 'refresh');
  }
  await store.persistVerifiedMetadata();
  if (target === undefined) throw targetMissing(targetName);
  return { updater, target };
}

/**
 * Update step 3b: TUF 5.7.3, download the target into the staging area. tuf-js stops at the signed
 * length (endless data) and checks every signed hash before the file is handed over.
 */
export async function downloadTarget(updater: Updater, store: UpdateStore, target: TargetFile): Promise<string> {
  const path = join(store.stagingDir, 'target');
  try {
    return await updater.downloadTarget(target, path);
  } catch (e) {
    throw tufFailure(e, 'download');
  }
}
