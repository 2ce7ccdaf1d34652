/**
 * The bounded outbound queue of a link: units accepted while no connection can take them (or while
 * the writer is busy), in order. When full, the overflow policy decides which unit is lost; every
 * loss is counted and reported to the unit's sender.
 *
 * Fair between senders (each unit names its `source`: a bot, `operator`, `setup`): when the queue
 * is full, the unit lost is one of the sender that holds the most units right now, the new unit
 * counted for its sender (ties go against the new unit's sender). So one bot flooding while
 * MMDAgent-EX is away loses its own lines, never another's, until that other holds as many as it:
 * every sender keeps at least its equal share of the capacity (max-min fairness). Within the losing
 * sender the policy picks: its oldest unit (`drop-oldest`) or its newest (`drop-newest`, which is the
 * new unit itself when the new unit's sender loses).
 */
import type { WireUnit } from "../wire/types.ts";
import type { OverflowPolicy, SendOutcome } from "./types.ts";

/** Default capacity (units). */
export const DEFAULT_QUEUE_LIMIT = 1000;
/**
 * Most units a queue may be configured to hold (`start --queue-lines`): at the 1800-byte line
 * limit, about 1.8 GB, already more than a runtime should hold for a peer that is away.
 */
export const MAX_QUEUE_LINES = 1_000_000;

/** One waiting unit; `settle` answers a sender that is still waiting for the outcome. */
export interface QueuedUnit {
  unit: WireUnit;
  settle?: (outcome: SendOutcome) => void;
  /** Who produced it (the fairness key); units without one share the key `""`. */
  source?: string;
}

/** Result of {@link OutboundQueue.push}. */
export interface PushResult {
  /** False when the new unit itself was refused (`drop-newest` on a full queue). */
  accepted: boolean;
  /** The unit evicted to make room (the biggest sender's, see the module doc). */
  evicted?: QueuedUnit;
  /** Whose unit was lost when the queue was full (the new unit's or the evicted one's sender). */
  loser?: string;
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
  /** Units waiting per sender now. */
  held(source: string): number;
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
  const counts = new Map<string, number>();
  let dropped = 0;
  const key = (item: QueuedUnit) => item.source ?? "";
  const count = (source: string, by: number) => {
    const n = (counts.get(source) ?? 0) + by;
    if (n <= 0) counts.delete(source);
    else counts.set(source, n);
  };
  const removed = (list: QueuedUnit[]) => {
    for (const item of list) count(key(item), -1);
    return list;
  };
  /** The sender holding the most units, the new unit counted for `incoming` (ties: incoming). */
  const biggest = (incoming: string): string => {
    let top = incoming;
    let most = (counts.get(incoming) ?? 0) + 1;
    for (const [source, n] of counts) {
      if (n > most) {
        top = source;
        most = n;
      }
    }
    return top;
  };
  /** Removes the oldest (or newest) unit of `source`; a full queue holds at least one. */
  const evictOf = (source: string, newest: boolean): QueuedUnit => {
    let at = -1;
    if (newest) {
      for (let i = items.length - 1; i >= 0 && at < 0; i--) if (key(items[i]) === source) at = i;
    } else {
      for (let i = 0; i < items.length && at < 0; i++) if (key(items[i]) === source) at = i;
    }
    const [gone] = items.splice(at, 1);
    count(source, -1);
    return gone;
  };
  return {
    push(item) {
      const source = key(item);
      if (items.length < limit) {
        items.push(item);
        count(source, 1);
        return { accepted: true };
      }
      dropped++;
      const loser = biggest(source);
      if (loser === source && (policy === "drop-newest" || (counts.get(source) ?? 0) === 0)) {
        return { accepted: false, loser };
      }
      const evicted = evictOf(loser, policy === "drop-newest");
      items.push(item);
      count(source, 1);
      return { accepted: true, evicted, loser };
    },
    requeue(item) {
      items.unshift(item);
      count(key(item), 1);
    },
    shift: () => {
      const item = items.shift();
      if (item) count(key(item), -1);
      return item;
    },
    take: (n) => removed(items.splice(0, n)),
    drain: () => removed(items.splice(0, items.length)),
    items: () => items,
    held: (source) => counts.get(source) ?? 0,
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
