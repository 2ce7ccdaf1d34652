/**
 * `ctx.waitFor`: waits for a later message of some types, without blocking the bot's other
 * handlers. Every wait is bounded (a timeout on the host's clock, default 10 s) and released when
 * it settles, so pending waits never outlive their timeout. Waits are offered each inbound message
 * before any handler runs, so a handler awaiting `waitFor` never misses the message it waits for.
 */
import { type Message, type WaitOptions, WaitTimeoutError } from "./define.ts";
import type { Timers } from "./timers.ts";

/** Default bound of `waitFor` when the author gives none. */
export const DEFAULT_WAIT_MS = 10_000;

interface Waiter {
  types: ReadonlySet<string>;
  match?: WaitOptions<string>["match"];
  resolve(m: Message): void;
  reject(e: unknown): void;
}

/** The pending waits of one bot process. */
export class Waits {
  readonly #timers: Timers;
  readonly #waiters = new Set<Waiter>();

  /** Waits whose timeouts run on `timers`. */
  constructor(timers: Timers) {
    this.#timers = timers;
  }

  /** Pending waits. */
  get size(): number {
    return this.#waiters.size;
  }

  /** `ctx.waitFor`. */
  waitFor<T extends string>(
    type: T | readonly T[],
    options: WaitOptions<T> = {},
  ): Promise<Message<T>> {
    return new Promise((resolve, reject) => {
      const { signal, match } = options;
      const ms = options.timeoutMs ?? DEFAULT_WAIT_MS;
      const types = new Set<string>(typeof type === "string" ? [type] : type);
      if (signal?.aborted) return reject(signal.reason);
      let timer = 0;
      const done = () => {
        this.#waiters.delete(waiter);
        this.#timers.clear(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const waiter: Waiter = {
        types,
        match: match as Waiter["match"],
        resolve: (m) => {
          done();
          resolve(m as Message<T>);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      };
      const onAbort = () => waiter.reject(signal!.reason);
      try {
        timer = this.#timers.add(ms, {
          fn: () => waiter.reject(new WaitTimeoutError([...types].join(" or "), ms)),
          repeat: false,
          where: "waitFor",
          refused: (e) => waiter.reject(e),
        });
      } catch (e) {
        return reject(e); // over the timer budget: refused now, never a wait without a bound
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Offers an inbound message to every wait (before handlers run). */
  offer(message: Message): void {
    if (this.#waiters.size === 0) return;
    for (const w of [...this.#waiters]) {
      if (!w.types.has(message.type)) continue;
      let ok = true;
      if (w.match instanceof RegExp) {
        w.match.lastIndex = 0;
        ok = w.match.test(message.line);
      } else if (w.match) {
        try {
          ok = w.match(message);
        } catch (e) {
          w.reject(e);
          continue;
        }
      }
      if (ok) w.resolve(message);
    }
  }
}
