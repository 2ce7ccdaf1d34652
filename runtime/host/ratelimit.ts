/**
 * Per-bot output rate limit (token bucket), the brake on feedback loops: a bot answering its own
 * echoes, or two bots answering each other, would otherwise flood MMDAgent-EX. Runs on the host's
 * clock so the test kit sees the same limits on virtual time.
 */
import type { Clock } from "../clock/clock.ts";
import type { Logger } from "../log/logger.ts";
import type { Refusal } from "../wire/types.ts";

/** Quiet time after the last refusal before the limit counts as released (and says so). */
export const RELEASE_AFTER_MS = 1000;

/** A token bucket for one bot. */
export interface RateLimiter {
  /** Takes one token; returns a refusal when the bucket is empty. */
  take(): Refusal | undefined;
  /**
   * When the bucket is empty, refuses (counted and logged like a refused {@link take}) and returns
   * the refusal; otherwise takes nothing and returns undefined. Lets the host refuse a flooding
   * bot's line before it spends anything on reading it.
   */
  refuseIfSpent(): Refusal | undefined;
  /** Lines refused so far. */
  readonly refused: number;
}

/**
 * Creates a bucket of `burst` tokens refilled at `perSecond`. Logs once when it trips and once when
 * the bot is back under the limit, with the count refused in between.
 */
export function createRateLimiter(
  bot: string,
  perSecond: number,
  burst: number,
  clock: Clock,
  log: Logger,
): RateLimiter {
  let tokens = burst;
  let last = clock.now();
  let refused = 0;
  let trippedCount = 0;
  let lastRefused = -Infinity;
  const refusal: Refusal = {
    code: "rate-limit",
    reason: `bot ${bot} sends more than ${perSecond} lines/s (burst ${burst})`,
    fix: "send less often, or raise budgets.messages_per_second / burst in bots/bots.yaml " +
      "(a bot answering its own echoes loops: check ctx.isEcho)",
  };
  const refill = (now: number) => {
    tokens = Math.min(burst, tokens + ((now - last) / 1000) * perSecond);
    last = now;
  };
  const refuse = (now: number): Refusal => {
    if (trippedCount === 0) {
      log.warn(
        `rate limit tripped: more than ${perSecond} lines/s (burst ${burst}); refusing its ` +
          `lines until it slows down`,
        { bot },
      );
    }
    trippedCount++;
    refused++;
    lastRefused = now;
    return refusal;
  };
  return {
    take() {
      const now = clock.now();
      refill(now);
      if (tokens >= 1) {
        tokens -= 1;
        // Released only after a quiet second: a bot held at the limit takes a token each refill,
        // which logged a release and a new trip per token (thousands of records a second).
        if (trippedCount > 0 && now - lastRefused >= RELEASE_AFTER_MS) {
          log.info(`rate limit released: ${trippedCount} lines were refused`, { bot });
          trippedCount = 0;
        }
        return undefined;
      }
      return refuse(now);
    },
    refuseIfSpent() {
      const now = clock.now();
      refill(now);
      return tokens >= 1 ? undefined : refuse(now);
    },
    get refused() {
      return refused;
    },
  };
}
