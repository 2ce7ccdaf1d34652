/**
 * Which send results the host writes back to one bot, in constant memory.
 *
 * Why: a bot that never looks at its sends must be able to send for weeks, so nothing here grows
 * per send. The host answers a send when the bot asked (`want` on the send, or a later `want`), and
 * a refusal unasked only when the bot has `onError` hooks to hear it. A late `want` (the bot looked
 * after the line was written) is answered from a fixed ring of the latest outcomes, overwritten in
 * place; older ones are answered `unknown`. The only per-send entries are those of sends being
 * processed that the bot waits for, released when answered.
 */
import type { Refusal } from "../wire/types.ts";

/** Outcome of one send as the bot hears it. */
export type SendReply = { ok: true; status: string } | { ok: false; refusal: Refusal };

/** Latest send outcomes kept for a late `want`; older ones are answered with status `unknown`. */
export const SEND_RESULTS_WINDOW = 4096;

const UNKNOWN: SendReply = Object.freeze({ ok: true, status: "unknown" });
/** Marks a ring slot whose send is still being processed. */
const PENDING = Symbol("pending");

/** The send results of one bot process. */
export class SendResults {
  readonly #size: number;
  /** Request id held by each ring slot (-1: none). */
  readonly #reqs: Float64Array;
  readonly #outcomes: (SendReply | typeof PENDING | undefined)[];
  /** Sends being processed whose result the bot waits for. */
  readonly #wanted = new Set<number>();
  #refusalsUnasked: boolean;

  /**
   * `refusalsUnasked`: answer refusals the bot did not ask for (it has `onError` hooks); can be
   * changed later with {@link hearRefusals}.
   */
  constructor(refusalsUnasked = true, size = SEND_RESULTS_WINDOW) {
    this.#size = size;
    this.#reqs = new Float64Array(size).fill(-1);
    this.#outcomes = new Array(size).fill(undefined);
    this.#refusalsUnasked = refusalsUnasked;
  }

  /** Whether refusals nobody asked for are answered. */
  hearRefusals(yes: boolean): void {
    this.#refusalsUnasked = yes;
  }

  /** A send started; `want` when the bot already waits for its result. */
  started(req: number, want: boolean): void {
    const slot = req % this.#size;
    this.#reqs[slot] = req;
    this.#outcomes[slot] = PENDING;
    if (want) this.#wanted.add(req);
  }

  /** A send finished: returns what to write to the bot now, if anything. */
  finished(req: number, reply: SendReply): SendReply | undefined {
    if (this.#wanted.delete(req)) return reply;
    const slot = req % this.#size;
    if (this.#reqs[slot] === req) this.#outcomes[slot] = reply;
    return !reply.ok && this.#refusalsUnasked ? reply : undefined;
  }

  /**
   * The bot now looks at a send: returns what to write now, or undefined when the answer will be
   * written as the send finishes.
   */
  want(req: number): SendReply | undefined {
    const slot = req % this.#size;
    if (this.#reqs[slot] !== req) return UNKNOWN;
    const outcome = this.#outcomes[slot];
    if (outcome === PENDING) {
      this.#wanted.add(req);
      return undefined;
    }
    return outcome ?? UNKNOWN;
  }

  /** Sends being processed that the bot waits for (bounded by the sends in progress). */
  get waited(): number {
    return this.#wanted.size;
  }
}
