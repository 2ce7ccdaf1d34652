/**
 * A log that a flood cannot fill: records of one kind (say "bot flood's lines refused as
 * acl-denied") are written while the kind has budget left in the current window, and the rest are
 * counted and summarised in one record when the window ends. 100 000 refused sends become a few
 * records a second, each naming how many were left out, instead of 100 000 warnings.
 *
 * The summary comes from a timer (one per throttle, armed only while something is unreported),
 * so a flood that stops still gets its summary. Time is whatever clock the caller runs on (the
 * host's, virtual in the test kit); this module imports nothing so every room may use it.
 */
import type { LogFields, Logger, LogLevel } from "./logger.ts";

/** The part of a clock a throttle needs (`clock/clock.ts`'s `Clock` fits). */
export interface ThrottleClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): number;
  clearTimeout(id: number): void;
}

/** Options of {@link createLogThrottle}. */
export interface ThrottleOptions {
  /** Records of one kind written per window before the rest are only counted (default 5). */
  perWindow?: number;
  /** Window length in milliseconds (default 1000). */
  windowMs?: number;
}

/** A throttled log. */
export interface LogThrottle {
  /**
   * Writes the record when `kind` has budget left in this window, otherwise counts it for the
   * window's summary. Returns whether it was written.
   */
  log(kind: string, level: LogLevel, msg: string, fields?: LogFields): boolean;
  /**
   * When `kind` has no budget left in this window, counts one more record of it as left out (the
   * window's summary repeats the last one written or left out) and returns true; otherwise
   * counts nothing and returns false. Lets a caller skip building a record that would not be
   * written.
   */
  skip(kind: string): boolean;
  /** Records left out so far, all kinds. */
  readonly suppressed: number;
  /** Writes the pending summaries and stops the timer. */
  close(): void;
}

interface Kind {
  used: number;
  windowStart: number;
  unreported: number;
  level: LogLevel;
  /** The last record left out, shown in the summary. */
  msg: string;
  fields?: LogFields;
}

/** Kinds remembered at once; a forged variety of kinds cannot grow the map past this. */
const MAX_KINDS = 1000;

/**
 * Creates a throttled log.
 *
 * @example
 * ```ts
 * const t = createLogThrottle(log, realClock);
 * t.log("refused:flood:acl-denied", "warn", "refused a line from flood: EXECUTE is dangerous");
 * ```
 */
export function createLogThrottle(
  log: Logger,
  clock: ThrottleClock,
  options: ThrottleOptions = {},
): LogThrottle {
  const perWindow = options.perWindow ?? 5;
  const windowMs = options.windowMs ?? 1000;
  const kinds = new Map<string, Kind>();
  let suppressed = 0;
  let timer: number | undefined;
  let closed = false;

  const summarize = (all: boolean) => {
    const now = clock.now();
    for (const [key, k] of kinds) {
      if (!all && now - k.windowStart < windowMs) continue;
      if (k.unreported > 0) {
        log[k.level](
          `${k.unreported} more like this left out of the log in the last ` +
            `${Math.max(1, Math.round((now - k.windowStart) / 1000))} s: ${k.msg}`,
          { ...k.fields, suppressed: k.unreported },
        );
      }
      kinds.delete(key);
    }
  };

  const arm = () => {
    if (timer !== undefined || closed) return;
    timer = clock.setTimeout(() => {
      timer = undefined;
      summarize(false);
      for (const k of kinds.values()) {
        if (k.unreported > 0) return arm();
      }
    }, windowMs);
  };

  return {
    log(kind, level, msg, fields) {
      const now = clock.now();
      let k = kinds.get(kind);
      if (k && now - k.windowStart >= windowMs) {
        if (k.unreported > 0) summarize(false);
        k = kinds.get(kind);
        if (k) kinds.delete(kind);
        k = undefined;
      }
      if (!k) {
        if (kinds.size >= MAX_KINDS) summarize(true);
        k = { used: 0, windowStart: now, unreported: 0, level, msg };
        kinds.set(kind, k);
      }
      if (k.used < perWindow) {
        k.used++;
        // Kept for a summary of records only counted by skip().
        k.msg = msg;
        k.fields = fields;
        k.level = level;
        log[level](msg, fields);
        return true;
      }
      k.unreported++;
      k.level = level;
      k.msg = msg;
      k.fields = fields;
      suppressed++;
      arm();
      return false;
    },
    skip(kind) {
      const k = kinds.get(kind);
      if (!k || k.used < perWindow || clock.now() - k.windowStart >= windowMs) return false;
      k.unreported++;
      suppressed++;
      arm();
      return true;
    },
    get suppressed() {
      return suppressed;
    },
    close() {
      closed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      summarize(true);
    },
  };
}
