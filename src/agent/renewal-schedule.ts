import type { RenewalWindow } from './est-client.ts';
import type { UnitRandom } from './backoff.ts';

/** A moment to renew at and where it came from. */
export interface RenewalPlan {
  readonly at: Date;
  /** The server's suggested window, or undefined when it could not be asked. */
  readonly window: RenewalWindow | undefined;
}

/**
 * RFC 9773 §4.2: the client picks a uniformly random time inside the suggested window, so that
 * devices issued together do not all come back in the same second.
 */
export function planFromWindow(window: RenewalWindow, random: UnitRandom): RenewalPlan {
  const span = window.end.getTime() - window.start.getTime();
  return { at: new Date(window.start.getTime() + Math.floor(random() * span)), window };
}

/** Without the server's advice: renew at two thirds of the certificate's lifetime. */
export function fallbackPlan(notBefore: Date, notAfter: Date): RenewalPlan {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  return { at: new Date(notBefore.getTime() + Math.floor((lifetime * 2) / 3)), window: undefined };
}

/**
 * A plan made for the same window is kept: choosing again at every poll would bias the choice
 * towards the window's start. A moved window (the server wants it sooner, e.g. after an incident)
 * gets a new choice.
 */
export function keepOrReplan(
  previous: RenewalPlan | undefined,
  window: RenewalWindow,
  random: UnitRandom,
): RenewalPlan {
  const same =
    previous?.window !== undefined &&
    previous.window.start.getTime() === window.start.getTime() &&
    previous.window.end.getTime() === window.end.getTime();
  return same ? previous : planFromWindow(window, random);
}
