/**
 * The timers of one bot process: `ctx.after`, `ctx.every`, `ctx.sleep` and the timeouts of waits.
 * They run on the host's clock (virtual in tests), so the bot only keeps what each timer calls;
 * the host arms it (`timer-set`) and fires it (`fire`).
 *
 * Bounded by the bot's timer budget (`budgets.timers`): one more is refused at once with a
 * `RefusedError` (`too-many-timers`) — `after`/`every` throw, `sleep` and `waitFor` reject — instead
 * of a timer that never fires. A timer the host refuses anyway (its backstop) settles the same way.
 */
import { type Refusal, RefusedError } from "../wire/types.ts";
import type { BotToHost } from "./protocol.ts";
import type { Timer } from "./define.ts";

/** Pending timers a bot may have when the host does not say (`init.timers`). */
export const DEFAULT_TIMER_BUDGET = 1000;

/** What a timer does when it fires, or when the host refuses to arm it. */
export interface TimerEntry {
  fn: () => void | Promise<void>;
  repeat: boolean;
  /** Where it came from, for error reports (`after`, `every`, `sleep`, `waitFor`). */
  where: string;
  /** The host refused it after all: settle whatever waits on it. */
  refused?: (error: RefusedError) => void;
}

/** The refusal of a timer over the budget. */
export function tooManyTimers(budget: number): Refusal {
  return {
    code: "too-many-timers",
    reason: `the bot has ${budget} timers pending (after, every, sleep and waitFor each count ` +
      "one), its budget",
    fix: "cancel timers it no longer needs (Timer.cancel, an AbortSignal), or raise " +
      "budgets.timers in bots/bots.yaml",
  };
}

/** The timers of one bot process. */
export class Timers {
  readonly #post: (msg: BotToHost) => void;
  readonly #budget: number;
  readonly #entries = new Map<number, TimerEntry>();
  #next = 1;

  /** Timers posting through `post`, at most `budget` pending. */
  constructor(post: (msg: BotToHost) => void, budget = DEFAULT_TIMER_BUDGET) {
    this.#post = post;
    this.#budget = budget;
  }

  /** Pending timers. */
  get size(): number {
    return this.#entries.size;
  }

  /** Arms a timer; throws a `RefusedError` (`too-many-timers`) when the budget is used up. */
  add(ms: number, entry: TimerEntry): number {
    if (this.#entries.size >= this.#budget) throw new RefusedError(tooManyTimers(this.#budget));
    const id = this.#next++;
    this.#entries.set(id, entry);
    this.#post({
      t: "timer-set",
      timer: id,
      ms: Math.max(0, Number(ms) || 0),
      repeat: entry.repeat,
    });
    return id;
  }

  /** Cancels a timer (harmless when already gone). */
  clear(id: number): void {
    if (this.#entries.delete(id)) this.#post({ t: "timer-clear", timer: id });
  }

  /** The host fired `id`: its entry (forgotten when it does not repeat), or undefined. */
  fire(id: number): TimerEntry | undefined {
    const entry = this.#entries.get(id);
    if (entry && !entry.repeat) this.#entries.delete(id);
    return entry;
  }

  /** The host refused to arm `id`: returns its entry, forgotten, to be settled by the caller. */
  refuse(id: number): TimerEntry | undefined {
    const entry = this.#entries.get(id);
    this.#entries.delete(id);
    return entry;
  }

  /** `ctx.after` / `ctx.every`. */
  timer(ms: number, fn: () => void | Promise<void>, repeat: boolean): Timer {
    const id = this.add(ms, { fn, repeat, where: repeat ? "every" : "after" });
    return { cancel: () => this.clear(id) };
  }

  /** `ctx.sleep`: resolves after `ms` of host time; rejects on abort or over the budget. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      let id = 0;
      const onAbort = () => {
        this.clear(id);
        reject(signal!.reason);
      };
      try {
        id = this.add(ms, {
          fn: () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          },
          repeat: false,
          where: "sleep",
          refused: (e) => {
            signal?.removeEventListener("abort", onAbort);
            reject(e);
          },
        });
      } catch (e) {
        return reject(e);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
