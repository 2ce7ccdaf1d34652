/**
 * Reconnect delays for when mmdbot is the client (decisions.md): 0.25 s doubling to 10 s, ±20 %
 * jitter, reset once a connection has carried data or stayed up 5 s.
 */

/** Tuning of {@link createBackoff}; the defaults are the decided numbers. */
export interface BackoffOptions {
  /** First delay in ms (default 250). */
  initialMs?: number;
  /** Ceiling in ms before jitter (default 10 000). */
  maxMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Relative jitter, 0.2 = ±20 % (default 0.2). */
  jitter?: number;
  /** Source of randomness in [0, 1) (default Math.random); tests pass a fixed one. */
  random?: () => number;
}

/** A connection that stayed up this long resets the backoff even without data. */
export const BACKOFF_RESET_AFTER_MS = 5000;

/** The delay sequence of one reconnecting client. */
export interface Backoff {
  /** The delay before the next attempt; each call grows the base delay. */
  next(): number;
  /** Back to the first delay (after a connection proved healthy). */
  reset(): void;
  /** Attempts since the last reset. */
  readonly attempt: number;
}

/**
 * Creates a backoff.
 *
 * @example
 * const b = createBackoff({ random: () => 0.5 });
 * b.next(); // 250
 * b.next(); // 500
 */
export function createBackoff(options: BackoffOptions = {}): Backoff {
  const initial = options.initialMs ?? 250;
  const max = options.maxMs ?? 10_000;
  const factor = options.factor ?? 2;
  const jitter = options.jitter ?? 0.2;
  const random = options.random ?? Math.random;
  let attempt = 0;
  return {
    next() {
      const base = Math.min(max, initial * factor ** attempt);
      attempt++;
      return Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));
    },
    reset() {
      attempt = 0;
    },
    get attempt() {
      return attempt;
    },
  };
}
