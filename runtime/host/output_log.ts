/**
 * Logs what a bot writes to the runtime's log under the bot's name: what it prints (its stderr,
 * and anything on stdout that is not an IPC message) and its `ctx.log` records. Each of the two
 * has its own per-bot budget (a token bucket on the host clock), so a bot cannot flood the log
 * either way, yet a noisy `console.log` (a chatty library, say) cannot silence the bot's own
 * `ctx.log` warnings: at most twice the rate below reaches the log per bot. Nothing of it reaches
 * MMDAgent-EX nor the runtime's stdout.
 */
import type { Clock, TimerId } from "../clock/clock.ts";
import type { Logger, LogLevel } from "../log/logger.ts";

/** Log lines per second allowed per bot, for printed lines and for `ctx.log` records each. */
export const OUTPUT_LINES_PER_SECOND = 20;
/** Lines of each kind that may be logged at once before the limit applies. */
export const OUTPUT_BURST = 200;
/**
 * How often the count of suppressed lines is logged while a bot is over its budget. The summary
 * comes from a timer on the host clock (one per bot, armed only while lines are being suppressed),
 * so a bot that floods once and goes quiet still gets it, and a steady flood gets one a window.
 */
export const SUMMARY_INTERVAL_MS = 1000;
/** Longest bot output line or `ctx.log` message kept in the log. */
export const OUTPUT_MAX_CHARS = 2000;

/** The log of one bot's output. */
export interface OutputLog {
  /** A line the bot printed (console, stderr, stray stdout): logged at info. */
  print(line: string): void;
  /** A `ctx.log` record at its level (skipped, free of charge, when the level is off). */
  record(level: LogLevel, msg: string): void;
  /** Lines suppressed so far (both kinds). */
  readonly suppressed: number;
  /** Logs the summary of what is still unreported and clears the timer (the bot is gone). */
  close(): void;
}

interface Bucket {
  tokens: number;
  last: number;
  /** Suppressed and not reported yet. */
  unreported: number;
}

/** Creates the output log of one bot. */
export function createOutputLog(log: Logger, clock: Clock): OutputLog {
  const printed: Bucket = { tokens: OUTPUT_BURST, last: clock.now(), unreported: 0 };
  const logged: Bucket = { tokens: OUTPUT_BURST, last: clock.now(), unreported: 0 };
  let suppressed = 0;
  let timer: TimerId | undefined;
  let closed = false;

  const summarize = () => {
    const n = printed.unreported + logged.unreported;
    if (n === 0) return;
    const parts = [
      printed.unreported > 0 && `${printed.unreported} printed`,
      logged.unreported > 0 && `${logged.unreported} from ctx.log`,
    ].filter(Boolean).join(", ");
    log.warn(
      `${n} lines of output suppressed (${parts}): more than ${OUTPUT_LINES_PER_SECOND}/s ` +
        `(burst ${OUTPUT_BURST}) each for printed lines and for ctx.log`,
    );
    printed.unreported = 0;
    logged.unreported = 0;
  };

  // Each window that suppressed something ends with its summary and opens the next; a window
  // that suppressed nothing ends the timer.
  const windowEnd = () => {
    timer = undefined;
    if (printed.unreported + logged.unreported === 0) return;
    summarize();
    timer = clock.setTimeout(windowEnd, SUMMARY_INTERVAL_MS);
  };

  /** Takes a token; false (and counted) when the bot is over this budget. */
  const take = (b: Bucket): boolean => {
    const t = clock.now();
    const refill = (Math.max(0, t - b.last) / 1000) * OUTPUT_LINES_PER_SECOND;
    b.tokens = Math.min(OUTPUT_BURST, b.tokens + refill);
    b.last = t;
    if (b.tokens < 1) {
      suppressed++;
      b.unreported++;
      if (timer === undefined && !closed) timer = clock.setTimeout(windowEnd, SUMMARY_INTERVAL_MS);
      return false;
    }
    b.tokens -= 1;
    return true;
  };

  const cut = (s: string) => s.length > OUTPUT_MAX_CHARS ? s.slice(0, OUTPUT_MAX_CHARS) + "…" : s;

  return {
    print(line) {
      if (take(printed)) log.info(cut(line));
    },
    record(level, msg) {
      if (!log.enabled(level)) return;
      if (take(logged)) log[level](cut(msg));
    },
    get suppressed() {
      return suppressed;
    },
    close() {
      closed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      summarize();
    },
  };
}
