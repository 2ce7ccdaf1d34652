/**
 * The one notion of time every room uses. Bots' timers, `waitFor` timeouts, the emulator's event
 * delays and scenario steps all go through a {@link Clock}, so that the test kit and `replay` can run
 * the same code on a {@link VirtualClock} and get deterministic results.
 */

/** A cancellable handle returned by {@link Clock.setTimeout}. */
export type TimerId = number;

/** A source of time and timers. */
export interface Clock {
  /** Milliseconds since an arbitrary origin (wall time for the real clock, 0 for a virtual one). */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerId;
  /** Cancels a timer; unknown ids are ignored. */
  clearTimeout(id: TimerId): void;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Wall-clock time and real timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  // Deno returns a number; @types/node (pulled in by ws' types) declares an object.
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)) as unknown as TimerId,
  clearTimeout: (id) => clearTimeout(id),
  sleep: (ms, signal) => sleepOn(realClock, ms, signal),
};

/** Shared `sleep` built on a clock's own timers. */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clock.clearTimeout(id);
      reject(signal!.reason);
    };
    const id = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
