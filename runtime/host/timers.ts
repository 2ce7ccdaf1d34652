/**
 * One bot's timers on the host clock (`ctx.after`, `ctx.every`, and the timeouts of `sleep` and
 * `waitFor`), with the bounds that keep a timer storm from costing the host or the other bots:
 *
 * - **a count budget** (`budgets.timers`): a timer past it is not armed; the caller tells the bot
 *   (which settles whatever waited on it) instead of leaving a timer that never fires;
 * - **one firing in flight per timer**: while a repeating timer's last firing is unacknowledged, the
 *   periods that come due are coalesced into one firing sent when the ack arrives, so a bot that
 *   cannot keep up gets fewer firings, not an ever-growing pipe (9000 `every(1)` timers grew the
 *   runtime to 2.2 GB through the write buffer);
 * - **paced firings**: at most {@link FIRINGS_PER_SECOND} firings per second per bot (burst
 *   {@link FIRINGS_BURST}); beyond that, due timers wait in a FIFO drained by ONE host timer, so
 *   the host's work per bot is bounded whatever the number and period of its timers.
 *
 * Pure bookkeeping on an injected clock: the caller writes the `fire` messages.
 */
import type { Clock, TimerId } from "../clock/clock.ts";
import type { Refusal } from "../wire/types.ts";

/** Default of `budgets.timers`: timers one bot may have pending at once. */
export const DEFAULT_TIMER_BUDGET = 1000;
/** Sustained timer firings per second per bot. */
export const FIRINGS_PER_SECOND = 1000;
/** Firings per bot that may go out at once before the pace applies. */
export const FIRINGS_BURST = 200;

/** What the timers need from the instance. */
export interface BotTimersDeps {
  clock: Clock;
  /** Pending timers allowed (`budgets.timers`). */
  budget: number;
  /** Writes a `fire` for `timer` to the bot; returns the message id the bot will acknowledge. */
  fire(timer: number): number;
}

/** The timers of one bot process. */
export interface BotTimers {
  /** Arms (or re-arms) a timer; a refusal when it would exceed the budget (then nothing is armed). */
  set(timer: number, ms: number, repeat: boolean): Refusal | undefined;
  /** Cancels a timer (unknown ids are ignored). */
  clear(timer: number): void;
  /** The bot acknowledged message `id` (any id; firings are recognised). */
  acked(id: number): void;
  /** Timers pending (armed, due or in flight). */
  readonly size: number;
  /** `timer-set`s refused for the budget. */
  readonly refused: number;
  /** Periods of repeating timers folded into a later firing (the bot was behind). */
  readonly coalesced: number;
  /** Firings that waited for the pace. */
  readonly paced: number;
  /** Cancels everything (the process is gone). */
  close(): void;
}

interface Entry {
  ms: number;
  repeat: boolean;
  handle?: TimerId;
  /** Id of the firing the bot has not acknowledged yet. */
  inFlight?: number;
  /** Came due while a firing was in flight (repeating) or while waiting for the pace. */
  due: boolean;
  queued: boolean;
}

/** Creates the timers of one bot. */
export function createBotTimers(d: BotTimersDeps): BotTimers {
  const { clock } = d;
  const entries = new Map<number, Entry>();
  const byFiring = new Map<number, number>();
  const waiting: number[] = [];
  let waitingHead = 0;
  let drainTimer: TimerId | undefined;
  let tokens = FIRINGS_BURST;
  let lastRefill = clock.now();
  let refused = 0;
  let coalesced = 0;
  let paced = 0;
  let closed = false;

  const refill = () => {
    const now = clock.now();
    tokens = Math.min(FIRINGS_BURST, tokens + ((now - lastRefill) / 1000) * FIRINGS_PER_SECOND);
    lastRefill = now;
  };

  const arm = (timer: number, e: Entry, ms: number) => {
    e.handle = clock.setTimeout(() => due(timer), ms);
  };

  /** Writes the firing now: the caller checked the pace. */
  const fireNow = (timer: number, e: Entry) => {
    e.due = false;
    if (e.repeat) {
      e.inFlight = d.fire(timer);
      byFiring.set(e.inFlight, timer);
      arm(timer, e, Math.max(1, e.ms));
    } else {
      entries.delete(timer);
      d.fire(timer);
    }
  };

  const due = (timer: number) => {
    const e = entries.get(timer);
    if (!e || closed) return;
    e.handle = undefined;
    if (e.inFlight !== undefined || e.queued) {
      // The bot is behind: this period joins the firing it gets once the last one is acknowledged.
      coalesced++;
      e.due = true;
      return;
    }
    refill();
    if (tokens >= 1 && waitingHead === waiting.length) {
      tokens -= 1;
      fireNow(timer, e);
      return;
    }
    e.due = true;
    e.queued = true;
    paced++;
    waiting.push(timer);
    scheduleDrain();
  };

  const scheduleDrain = () => {
    if (drainTimer !== undefined || closed) return;
    const wait = Math.max(1, Math.ceil(((1 - tokens) / FIRINGS_PER_SECOND) * 1000));
    drainTimer = clock.setTimeout(drain, wait);
  };

  const drain = () => {
    drainTimer = undefined;
    refill();
    while (tokens >= 1 && waitingHead < waiting.length) {
      const timer = waiting[waitingHead++];
      const e = entries.get(timer);
      if (!e || !e.queued) continue;
      e.queued = false;
      if (e.inFlight !== undefined) continue; // fired once its firing is acknowledged
      tokens -= 1;
      if (e.handle !== undefined) clock.clearTimeout(e.handle);
      e.handle = undefined;
      fireNow(timer, e);
    }
    if (waitingHead === waiting.length) {
      waiting.length = 0;
      waitingHead = 0;
    } else {
      if (waitingHead > 1024 && waitingHead * 2 > waiting.length) {
        waiting.splice(0, waitingHead);
        waitingHead = 0;
      }
      scheduleDrain();
    }
  };

  const cancel = (e: Entry) => {
    if (e.handle !== undefined) clock.clearTimeout(e.handle);
    e.handle = undefined;
    if (e.inFlight !== undefined) byFiring.delete(e.inFlight);
  };

  return {
    set(timer, ms, repeat) {
      if (closed) return undefined;
      const old = entries.get(timer);
      if (old) {
        cancel(old);
        entries.delete(timer);
      } else if (entries.size >= d.budget) {
        refused++;
        return {
          code: "too-many-timers",
          reason: `more than ${d.budget} timers pending (ctx.after, ctx.every, sleep and waitFor ` +
            `each hold one until they fire or are cancelled)`,
          fix: "cancel timers you no longer need, or raise budgets.timers in bots/bots.yaml",
        };
      }
      const e: Entry = { ms, repeat, due: false, queued: false };
      entries.set(timer, e);
      arm(timer, e, repeat ? Math.max(1, ms) : ms);
      return undefined;
    },
    clear(timer) {
      const e = entries.get(timer);
      if (!e) return;
      cancel(e);
      entries.delete(timer);
    },
    acked(id) {
      const timer = byFiring.get(id);
      if (timer === undefined) return;
      byFiring.delete(id);
      const e = entries.get(timer);
      if (!e || e.inFlight !== id) return;
      e.inFlight = undefined;
      if (e.due && !e.queued) {
        // Periods passed while the bot worked: one firing for all of them, now (paced).
        if (e.handle !== undefined) clock.clearTimeout(e.handle);
        e.handle = undefined;
        due(timer);
      }
    },
    get size() {
      return entries.size;
    },
    get refused() {
      return refused;
    },
    get coalesced() {
      return coalesced;
    },
    get paced() {
      return paced;
    },
    close() {
      closed = true;
      for (const e of entries.values()) cancel(e);
      entries.clear();
      byFiring.clear();
      if (drainTimer !== undefined) clock.clearTimeout(drainTimer);
      drainTimer = undefined;
    },
  };
}
