/**
 * The sends of one bot process and their results, with no memory per send nobody looks at.
 *
 * Why: a bot answering each line with `ctx.sendRaw(…)` and dropping the promise (the way most
 * replies are written) must be able to run for weeks. So a send returns a {@link SendTicket}: a
 * lazy thenable, typed as a `Promise`, that holds nothing but its request id until user code calls
 * `then`/`catch`/`finally` (which `await` does). Only then is the send registered as waited for,
 * and the host asked for its result (`want` on the `send` while it is still unwritten, else a `want`
 * message). The host answers a refusal of any send, so a refusal nobody looked at still reaches the
 * bot, which hands it to `onError` (the host logs it, rate-limited). Nothing else is kept: a dropped
 * ticket is garbage at once, and the host answers a success only when asked.
 *
 * Refusals found in the bot itself (bad fields, a line too big for IPC) keep only the plain
 * refusal; the `RefusedError` is built when someone looks, so a flood of them costs no stacks.
 */
import { type Refusal, RefusedError } from "../wire/types.ts";
import type { BotToHost, HostToBot } from "./protocol.ts";
import type { SendResult } from "./define.ts";

type SendMessage = Extract<BotToHost, { t: "send" }>;
type SentMessage = Extract<HostToBot, { t: "sent" }>;

/** What the sends need from the process around them. */
export interface SendsIO {
  /** Queues one message to the host. */
  post(msg: BotToHost): void;
  /**
   * Number of the batch of posted messages not yet written; it changes when a batch is written,
   * so a message posted in batch `n` may still be changed while this returns `n`.
   */
  batch(): number;
  /** A refusal of a send nobody looked at (host-side or local): for `onError` and the log. */
  unobserved(refusal: Refusal, local: boolean): void;
}

interface Settle {
  resolve(r: SendResult): void;
  reject(e: unknown): void;
}

/**
 * A `RefusedError` without a captured stack: it is built when a refusal arrives from the host (or
 * is looked at), so a stack would only point into the bot API, and capturing one per refusal is
 * what made a send flood run out of heap.
 */
export function refusedError(refusal: Refusal): RefusedError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new RefusedError(refusal);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * The result of one send, looked at only on demand. Implements the whole `Promise` interface
 * (`then`, `catch`, `finally`), so `await`, `Promise.all` and chaining work as on any promise.
 */
export class SendTicket implements Promise<SendResult> {
  readonly #sends: Sends;
  readonly #req: number;
  /** The `send` message while it may still be unwritten (for `want`); the refusal when local. */
  #msg: SendMessage | undefined;
  readonly #batch: number;
  readonly #refusal: Refusal | undefined;
  #promise: Promise<SendResult> | undefined;

  /** Made by {@link Sends}; not for bot code. */
  constructor(
    sends: Sends,
    req: number,
    msg: SendMessage | undefined,
    batch: number,
    refusal?: Refusal,
  ) {
    this.#sends = sends;
    this.#req = req;
    this.#msg = msg;
    this.#batch = batch;
    this.#refusal = refusal;
  }

  /** Shows as a promise (`Object.prototype.toString`, the inspector). */
  readonly [Symbol.toStringTag] = "Promise";

  /** Whether user code has looked at the result. */
  get observed(): boolean {
    return this.#promise !== undefined;
  }

  /** The refusal of a send refused in the bot itself, if it was. */
  get localRefusal(): Refusal | undefined {
    return this.#refusal;
  }

  #observe(): Promise<SendResult> {
    if (this.#promise) return this.#promise;
    if (this.#refusal) {
      this.#promise = Promise.reject(refusedError(this.#refusal));
    } else {
      this.#promise = this.#sends.watch(this.#req, this.#msg!, this.#batch);
      this.#msg = undefined;
    }
    return this.#promise;
  }

  /** Looks at the result (asks the host for it when it is not refused anyway). */
  then<A = SendResult, B = never>(
    onFulfilled?: ((value: SendResult) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#observe().then(onFulfilled, onRejected);
  }

  /** Looks at a refusal. */
  catch<B = never>(
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<SendResult | B> {
    return this.#observe().catch(onRejected);
  }

  /** Runs `onFinally` once the result is known. */
  finally(onFinally?: (() => void) | null): Promise<SendResult> {
    return this.#observe().finally(onFinally);
  }
}

/** The sends of one bot process. */
export class Sends {
  readonly #io: SendsIO;
  /** Sends someone looks at, by request id: released when the host answers. */
  readonly #waiting = new Map<number, Settle>();
  /** Tickets refused locally in this turn, checked once the turn's code had its chance to look. */
  #local: SendTicket[] = [];
  #nextReq = 1;

  /** Creates the sends of a bot process talking to the host through `io`. */
  constructor(io: SendsIO) {
    this.#io = io;
  }

  /**
   * Sends `line` (already checked for what the bot can check); `turn`: the user's turn the
   * sending handler runs in (conversation), so the host refuses the line once that turn is over.
   */
  send(line: string, turn?: number): SendTicket {
    const req = this.#nextReq++;
    const msg: SendMessage = { t: "send", req, line };
    if (turn !== undefined) msg.turn = turn;
    const batch = this.#io.batch();
    this.#io.post(msg);
    return new SendTicket(this, req, msg, batch);
  }

  /** A send refused in the bot before it was written. */
  refuse(refusal: Refusal): SendTicket {
    const ticket = new SendTicket(this, 0, undefined, 0, refusal);
    if (this.#local.length === 0) queueMicrotask(() => queueMicrotask(this.#checkLocal));
    this.#local.push(ticket);
    return ticket;
  }

  /** Sends someone waits for (for tests and status). */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** Registers interest in a send's result; called by its ticket when first looked at. */
  watch(req: number, msg: SendMessage, batch: number): Promise<SendResult> {
    const { promise, resolve, reject } = Promise.withResolvers<SendResult>();
    this.#waiting.set(req, { resolve, reject });
    if (this.#io.batch() === batch) msg.want = true;
    else this.#io.post({ t: "want", req });
    return promise;
  }

  /** The host's answer to a send (or, for a refusal with `to`, to every send up to `to`). */
  answer(msg: SentMessage): void {
    if (msg.ok) {
      const waiting = this.#waiting.get(msg.req);
      if (!waiting) return;
      this.#waiting.delete(msg.req);
      waiting.resolve({ status: msg.status });
      return;
    }
    const last = msg.to !== undefined && msg.to > msg.req ? msg.to : msg.req;
    for (let req = msg.req; req <= last; req++) {
      const waiting = this.#waiting.get(req);
      if (waiting) {
        this.#waiting.delete(req);
        waiting.reject(refusedError(msg.refusal));
      } else this.#io.unobserved(msg.refusal, false);
    }
  }

  #checkLocal = () => {
    const tickets = this.#local;
    this.#local = [];
    for (const t of tickets) if (!t.observed) this.#io.unobserved(t.localRefusal!, true);
  };
}
