import type { Clock } from '../core/clock.ts';
import type { Random } from '../core/random.ts';
import type { VulnsContext } from '../vulns/vulns-context.ts';
import type { Article14Store } from './article14-store.types.ts';

/** What Article 14 reporting needs, handed in as ports. */
export interface Article14Context {
  clock: Clock;
  random: Random;
  store: Article14Store;
  /** the vulnerability register, read for the drafts (affected releases, devices to inform) */
  vulns: VulnsContext;
}
