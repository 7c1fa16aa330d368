/** Time comes in through this port so tests move the clock instead of sleeping (DESIGN rule 6). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to. */
export class FakeClock implements Clock {
  #ms: number;
  constructor(start: Date | string = '2026-01-01T00:00:00Z') {
    this.#ms = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.#ms);
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
  advanceDays(days: number): void {
    this.advance(days * 86_400_000);
  }
  set(t: Date | string): void {
    this.#ms = new Date(t).getTime();
  }
}

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
