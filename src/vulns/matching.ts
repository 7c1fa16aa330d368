import { actorName } from '../pki/records.types.ts';
import { affectedBy } from './affected-match.ts';
import type { MatchCandidate, MatchedComponent, RegisterEntry } from './vulnerability.types.ts';
import type { MatchScope, VulnsUnitOfWork } from './vulns-store.types.ts';

/** Who sets the status of a row the matcher makes. */
export const MATCHER = actorName({ kind: 'system', name: 'matcher' });

/** A release put in (or taken out of) a vulnerability's register by a matching. */
export interface MatchChange {
  vulnerabilityId: string;
  productId: string;
  sku: string;
  releaseId: string;
  version: string;
}

export interface MatchOutcome {
  added: MatchChange[];
  /** no longer matched: removed when nobody had decided on it, else kept with matched false */
  unmatched: Pick<MatchChange, 'vulnerabilityId' | 'productId' | 'releaseId'>[];
}

/**
 * Matches the scope again and brings the register in line: a new match is a row under
 * investigation; a row no longer matched is removed if its status is still the matcher's, and kept
 * (matched: false) if a person decided on it. Statuses are never changed here.
 */
export async function rematch(uow: VulnsUnitOfWork, scope: MatchScope, at: Date): Promise<MatchOutcome> {
  await uow.lockMatching();
  const found = decideMatches(await uow.matchCandidates(scope));
  const existing = new Map((await uow.registerEntries(scope)).map((e) => [pairKey(e.vulnerabilityId, e.releaseId), e]));
  const outcome: MatchOutcome = { added: [], unmatched: [] };
  const inserts: RegisterEntry[] = [];
  const updates: Parameters<VulnsUnitOfWork['updateMatches']>[0] = [];
  const deletes: Parameters<VulnsUnitOfWork['deleteRegisterEntries']>[0] = [];
  for (const [key, match] of found) {
    const before = existing.get(key);
    const change = { vulnerabilityId: match.vulnerabilityId, productId: match.productId, sku: match.sku, releaseId: match.releaseId, version: match.version };
    if (!before) {
      inserts.push({ ...change, matched: true, components: match.components, firstMatchedAt: at, status: 'under_investigation', justification: null, fixedInReleaseId: null, fixedInVersion: null, note: null, statusSetBy: MATCHER, statusSetAt: at });
      outcome.added.push(change);
    } else if (!before.matched || JSON.stringify(before.components) !== JSON.stringify(match.components)) {
      updates.push({ vulnerabilityId: before.vulnerabilityId, releaseId: before.releaseId, matched: true, components: match.components, firstMatchedAt: before.firstMatchedAt ?? at });
      if (!before.matched) outcome.added.push(change);
    }
  }
  for (const [key, before] of existing) {
    if (found.has(key) || !before.matched) continue;
    const untouched = before.statusSetBy === MATCHER && before.status === 'under_investigation';
    if (untouched) deletes.push(before);
    else updates.push({ vulnerabilityId: before.vulnerabilityId, releaseId: before.releaseId, matched: false, components: [], firstMatchedAt: before.firstMatchedAt });
    outcome.unmatched.push({ vulnerabilityId: before.vulnerabilityId, productId: before.productId, releaseId: before.releaseId });
  }
  await uow.insertRegisterEntries(inserts);
  await uow.updateMatches(updates);
  await uow.deleteRegisterEntries(deletes);
  await uow.touchProductVulnerabilities(outcome.added, at);
  return outcome;
}

interface FoundMatch {
  vulnerabilityId: string;
  productId: string;
  sku: string;
  releaseId: string;
  version: string;
  components: MatchedComponent[];
}

/**
 * Decides each candidate (an affected entry and a component with the same purl key). Releases
 * share most components, so each (entry, version, distro) is decided once.
 */
export function decideMatches(candidates: readonly MatchCandidate[]): Map<string, FoundMatch> {
  const decided = new Map<string, ReturnType<typeof affectedBy>>();
  const found = new Map<string, FoundMatch>();
  for (const c of candidates) {
    const memo = `${c.vulnerabilityId}\u0000${c.seq}\u0000${c.component.version ?? ''}\u0000${c.component.distro ?? ''}`;
    let reason = decided.get(memo);
    if (!decided.has(memo)) {
      reason = affectedBy(c.entry, c.component);
      decided.set(memo, reason);
    }
    if (reason === undefined) continue;
    const key = pairKey(c.vulnerabilityId, c.releaseId);
    let match = found.get(key);
    if (!match) {
      match = { vulnerabilityId: c.vulnerabilityId, productId: c.productId, sku: c.sku, releaseId: c.releaseId, version: c.releaseVersion, components: [] };
      found.set(key, match);
    }
    const component: MatchedComponent = { name: c.component.name, purl: c.component.purl, version: c.component.version, reason };
    if (!match.components.some((m) => JSON.stringify(m) === JSON.stringify(component))) match.components.push(component);
  }
  for (const m of found.values()) m.components.sort((a, b) => (a.purl ?? a.name).localeCompare(b.purl ?? b.name) || (a.version ?? '').localeCompare(b.version ?? ''));
  return found;
}

function pairKey(vulnerabilityId: string, releaseId: string): string {
  return `${vulnerabilityId}\u0000${releaseId}`;
}
