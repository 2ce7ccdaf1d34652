/**
 * The bounded outbound queue of a link: units accepted while no connection can take them (or while
 * the writer is busy), in order. When full, the overflow policy decides which unit is lost; every
 * loss is counted and reported to the unit's sender.
 */
import type { WireUnit } from "../wire/types.ts";
import type { OverflowPolicy, SendOutcome } from "./types.ts";

/** Default capacity (units). */
export const DEFAULT_QUEUE_LIMIT = 1000;

/** One waiting unit; `settle` answers a sender that is still waiting for the outcome. */
export interface QueuedUnit {
  unit: WireUnit;
  settle?: (outcome: SendOutcome) => void;
}

/** Result of {@link OutboundQueue.push}. */
export interface PushResult {
  /** False when the new unit itself was refused (`drop-newest` on a full queue). */
  accepted: boolean;
  /** The unit evicted to make room (`drop-oldest` on a full queue). */
  evicted?: QueuedUnit;
}

/** A FIFO with a capacity and an overflow policy. */
export interface OutboundQueue {
  /** Appends, applying the overflow policy when full. */
  push(item: QueuedUnit): PushResult;
  /**
   * Puts a unit whose write failed back at the head, so it goes first on the next connection. It
   * may exceed the limit by the units that were in flight (one batch).
   */
  requeue(item: QueuedUnit): void;
  /** Takes the oldest unit. */
  shift(): QueuedUnit | undefined;
  /** Takes up to `n` oldest units, oldest first (a batch for one write). */
  take(n: number): QueuedUnit[];
  /** Removes everything (on close). */
  drain(): QueuedUnit[];
  /** Every waiting unit, oldest first, without removing them. */
  items(): readonly QueuedUnit[];
  readonly depth: number;
  /** Units lost to the overflow policy since creation. */
  readonly dropped: number;
  readonly limit: number;
  readonly policy: OverflowPolicy;
}

/**
 * Creates an outbound queue.
 *
 * @example
 * const q = createOutboundQueue({ limit: 2, policy: "drop-oldest" });
 */
export function createOutboundQueue(
  opts: { limit?: number; policy?: OverflowPolicy } = {},
): OutboundQueue {
  const limit = opts.limit ?? DEFAULT_QUEUE_LIMIT;
  const policy = opts.policy ?? "drop-oldest";
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`queue limit must be a positive integer, got ${limit}`);
  }
  const items: QueuedUnit[] = [];
  let dropped = 0;
  return {
    push(item) {
      if (items.length < limit) {
        items.push(item);
        return { accepted: true };
      }
      dropped++;
      if (policy === "drop-newest") return { accepted: false };
      const evicted = items.shift();
      items.push(item);
      return { accepted: true, evicted };
    },
    requeue(item) {
      items.unshift(item);
    },
    shift: () => items.shift(),
    take: (n) => items.splice(0, n),
    drain: () => items.splice(0, items.length),
    items: () => items,
    get depth() {
      return items.length;
    },
    get dropped() {
      return dropped;
    },
    limit,
    policy,
  };
}
