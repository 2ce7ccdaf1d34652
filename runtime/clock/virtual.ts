import { type Clock, sleepOn, type TimerId } from "./clock.ts";

interface Pending {
  id: TimerId;
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that moves only when told to. Timers fire in due order (ties in creation order) while
 * {@link VirtualClock.advance} walks time forward, and the microtask queue is drained between timers
 * so that promise chains started by one timer settle before the next one fires.
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #nextId = 1;
  #pending: Pending[] = [];

  /** Starts at `start` milliseconds (default 0). */
  constructor(start = 0) {
    this.#now = start;
  }

  /** Current virtual time in milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Schedules `fn` at now + ms (negative delays count as 0). */
  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.#nextId++;
    this.#pending.push({ id, at: this.#now + Math.max(0, ms), seq: this.#seq++, fn });
    return id;
  }

  /** Cancels a pending timer. */
  clearTimeout(id: TimerId): void {
    this.#pending = this.#pending.filter((p) => p.id !== id);
  }

  /** Resolves when virtual time has moved `ms` forward. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Number of timers not yet fired. */
  get pendingTimers(): number {
    return this.#pending.length;
  }

  /** Time of the earliest pending timer, or undefined when none is pending. */
  nextDue(): number | undefined {
    let best: number | undefined;
    for (const p of this.#pending) if (best === undefined || p.at < best) best = p.at;
    return best;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way (including timers that
   * those timers schedule), then settles pending microtasks.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + Math.max(0, ms);
    await settle();
    for (;;) {
      const next = this.#takeDue(target);
      if (!next) break;
      this.#now = next.at;
      next.fn();
      await settle();
    }
    this.#now = target;
    await settle();
  }

  #takeDue(limit: number): Pending | undefined {
    let best: Pending | undefined;
    for (const p of this.#pending) {
      if (p.at > limit) continue;
      if (!best || p.at < best.at || (p.at === best.at && p.seq < best.seq)) best = p;
    }
    if (best) this.#pending = this.#pending.filter((p) => p !== best);
    return best;
  }
}

/** Lets queued promise reactions run; a macrotask turn drains every microtask queued before it. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
