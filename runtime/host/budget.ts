/**
 * The handler watchdog of one bot process. Every host message that runs bot code carries an id the
 * bot acknowledges once its handlers returned or reached their first `await`. A bot whose oldest
 * unacknowledged id has made no progress for `handlerMs` is stuck (a `while (true) {}`, a huge
 * synchronous job): the host kills its process group, which also brings its CPU use back to zero.
 *
 * Measured in real time (`performance.now`), never on the host's clock: budgets protect real CPU,
 * and a test's virtual clock may jump hours in a microsecond.
 */

/** Progress tracking of one bot process. */
export interface Watchdog {
  /** An id was written to the bot. */
  sent(id: number): void;
  /** The bot acknowledged an id. */
  acked(id: number): void;
  /** Ids written and not yet acknowledged. */
  readonly outstanding: number;
  /** Milliseconds the bot has been stuck, when over budget; otherwise undefined. */
  overdue(): number | undefined;
  /** Milliseconds since the bot last showed life (an ack or an idle moment). */
  idleFor(): number;
}

/** Creates a watchdog with budget `handlerMs`; `now` is injectable for tests of the policy. */
export function createWatchdog(
  handlerMs: number,
  now: () => number = () => performance.now(),
): Watchdog {
  // Only progress is timed (the last ack), so the ids need no times of their own.
  const pending = new Set<number>();
  let lastProgress = now();
  return {
    sent(id) {
      if (pending.size === 0) lastProgress = now();
      pending.add(id);
    },
    acked(id) {
      if (pending.delete(id)) lastProgress = now();
    },
    get outstanding() {
      return pending.size;
    },
    overdue() {
      if (pending.size === 0) return undefined;
      const stuck = now() - lastProgress;
      return stuck > handlerMs ? stuck : undefined;
    },
    idleFor() {
      return pending.size === 0 ? now() - lastProgress : 0;
    },
  };
}
