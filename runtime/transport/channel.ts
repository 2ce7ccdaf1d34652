/**
 * A single-consumer async queue: producers `push`, one consumer iterates. Used for inbound chunks of
 * event-driven sockets, for accepted connections and for a link's events.
 */

/** A push/pull queue that ends when closed. */
export interface Channel<T> extends AsyncIterable<T> {
  /** Adds an item; ignored after {@link Channel.close}. */
  push(item: T): void;
  /** Ends iteration once the queued items are consumed. Idempotent. */
  close(): void;
  /** Items waiting for the consumer. */
  readonly size: number;
  /** True once closed. */
  readonly closed: boolean;
  /** Removes and returns the oldest waiting item that matches, for bounded buffers. */
  dropOldest(match: (item: T) => boolean): T | undefined;
  /**
   * Iterates in batches: every item waiting at the time, oldest first, as one array (never
   * empty). A consumer handling a batch synchronously works through a socket read's lines in one
   * turn, so what it writes for them can go out together. The same single consumer: use either
   * this or the channel's own iterator.
   */
  batches(): AsyncIterable<T[]>;
}

/**
 * Creates a channel.
 *
 * @example
 * const ch = createChannel<number>();
 * ch.push(1); ch.close();
 * for await (const n of ch) console.log(n);
 */
export function createChannel<T>(): Channel<T> {
  const items: T[] = [];
  let closed = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  return {
    push(item) {
      if (closed) return;
      items.push(item);
      notify();
    },
    close() {
      closed = true;
      notify();
    },
    get size() {
      return items.length;
    },
    get closed() {
      return closed;
    },
    dropOldest(match) {
      const i = items.findIndex(match);
      return i < 0 ? undefined : items.splice(i, 1)[0];
    },
    async *batches() {
      for (;;) {
        if (items.length > 0) {
          yield items.splice(0, items.length);
          continue;
        }
        if (closed) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (items.length > 0) {
          yield items.shift()!;
          continue;
        }
        if (closed) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
