/**
 * Logs what a bot prints (its stderr, and anything on stdout that is not an IPC message) under the
 * bot's name, rate-limited so a chatty bot cannot drown the runtime's log. It never reaches
 * MMDAgent-EX nor the runtime's stdout.
 */
import type { Logger } from "../log/logger.ts";

/** Printed lines per second allowed per bot, and the burst. */
export const OUTPUT_LINES_PER_SECOND = 20;
/** Lines that may be printed at once before the limit applies. */
export const OUTPUT_BURST = 200;
/** Longest bot output line kept in the log. */
export const OUTPUT_MAX_CHARS = 2000;

/** Creates the output logger of one bot; call it with each printed line. */
export function createOutputLog(
  log: Logger,
  now: () => number = () => performance.now(),
): (line: string) => void {
  let tokens = OUTPUT_BURST;
  let last = now();
  let suppressed = 0;
  return (line) => {
    const t = now();
    tokens = Math.min(OUTPUT_BURST, tokens + ((t - last) / 1000) * OUTPUT_LINES_PER_SECOND);
    last = t;
    if (tokens < 1) {
      suppressed++;
      return;
    }
    tokens -= 1;
    if (suppressed > 0) {
      log.warn(`${suppressed} lines of output suppressed (more than ${OUTPUT_LINES_PER_SECOND}/s)`);
      suppressed = 0;
    }
    log.info(line.length > OUTPUT_MAX_CHARS ? line.slice(0, OUTPUT_MAX_CHARS) + "…" : line);
  };
}
