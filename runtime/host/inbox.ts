/**
 * The inbox of one bot process: inbound messages written to the bot at most `window` at a time
 * (unacknowledged), the rest waiting here up to `capacity`; past that the oldest waiting one is
 * dropped and counted (a bot too slow for its traffic loses old messages, never the host's memory).
 * Acks of other ids (lifecycle hooks, timer firings, pings) are not the inbox's.
 */

/** Messages written to a bot and not yet acknowledged, at most. */
export const INBOX_WINDOW = 32;
/** Messages waiting in the host beyond the window; the oldest is dropped (and counted) past it. */
export const INBOX_CAPACITY = 256;

/** The inbox of one bot process. */
export class Inbox {
  readonly #write: (json: string, id: number) => void;
  readonly #window: number;
  readonly #capacity: number;
  readonly #onDrop: (dropped: number) => void;
  /** Waiting messages, oldest first, from `#head` on (a moving head: no O(n) shift per message). */
  #queue: { json: string; id: number }[] = [];
  #head = 0;
  readonly #inFlight = new Set<number>();
  #dropped = 0;

  /**
   * `write` hands one message to the bot; `onDrop` hears the running count of dropped messages
   * each time one is dropped.
   */
  constructor(
    write: (json: string, id: number) => void,
    onDrop: (dropped: number) => void = () => {},
    window = INBOX_WINDOW,
    capacity = INBOX_CAPACITY,
  ) {
    this.#write = write;
    this.#onDrop = onDrop;
    this.#window = window;
    this.#capacity = capacity;
  }

  /** Messages waiting (not yet written). */
  get waiting(): number {
    return this.#queue.length - this.#head;
  }

  /** Messages written and not yet acknowledged. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Messages dropped so far. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Queues one message (already serialized) and writes what the window allows. */
  deliver(json: string, id: number): void {
    if (this.waiting >= this.#capacity) {
      this.#head++;
      this.#dropped++;
      this.#onDrop(this.#dropped);
    }
    this.#queue.push({ json, id });
    this.#pump();
  }

  /** An ack arrived: true when it was one of the inbox's messages (the window moves on). */
  acked(id: number): boolean {
    if (!this.#inFlight.delete(id)) return false;
    this.#pump();
    return true;
  }

  #pump(): void {
    while (this.#inFlight.size < this.#window && this.#head < this.#queue.length) {
      const next = this.#queue[this.#head++];
      this.#inFlight.add(next.id);
      this.#write(next.json, next.id);
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
