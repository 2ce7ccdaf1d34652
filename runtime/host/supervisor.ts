/**
 * Restart policy of one bot: exponential backoff after each failure, and disabling after
 * `maxFailures` failures within `windowMs`. Pure bookkeeping; the host acts on the decisions.
 */
import type { RestartPolicy } from "../manifest/types.ts";

/** Life-cycle state of a bot as shown by `status`. */
export type BotState =
  | "starting"
  | "running"
  | "backoff"
  | "failed-to-load"
  | "disabled"
  | "stopped";

/** What to do after a failure. */
export type RestartDecision =
  | { action: "restart"; delayMs: number; failures: number }
  | { action: "disable"; failures: number };

/** Failure history of one bot. */
export interface Restarts {
  /** Records a failure at `now` and says what to do. */
  failure(now: number): RestartDecision;
  /** Failures inside the window at `now`. */
  recent(now: number): number;
  /** Forgets the history (e.g. after an explicit reload). */
  reset(): void;
}

/**
 * Creates the failure history for one bot.
 *
 * @example
 * const r = createRestarts({ initialBackoffMs: 500, maxBackoffMs: 30_000, maxFailures: 5, windowMs: 60_000 });
 * r.failure(0); // { action: "restart", delayMs: 500, failures: 1 }
 * r.failure(10); // { action: "restart", delayMs: 1000, failures: 2 }
 */
export function createRestarts(policy: RestartPolicy): Restarts {
  let times: number[] = [];
  const prune = (now: number) => (times = times.filter((t) => now - t < policy.windowMs));
  return {
    failure(now) {
      prune(now);
      times.push(now);
      const failures = times.length;
      if (failures >= policy.maxFailures) return { action: "disable", failures };
      const delayMs = Math.min(
        policy.maxBackoffMs,
        policy.initialBackoffMs * 2 ** (failures - 1),
      );
      return { action: "restart", delayMs, failures };
    },
    recent(now) {
      return prune(now).length;
    },
    reset() {
      times = [];
    },
  };
}
