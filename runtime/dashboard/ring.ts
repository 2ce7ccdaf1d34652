/**
 * A fixed-size ring of the most recent items: what the dashboard remembers of the session, so a page
 * opened (or reloaded) late still shows the last minutes, while memory stays bounded however long
 * the session runs.
 */

/** A bounded list that forgets its oldest item when full. */
export interface Ring<T> {
  push(item: T): void;
  /** Oldest first. */
  items(): T[];
  readonly size: number;
  /** Items pushed in total, forgotten ones included. */
  readonly pushed: number;
}

/**
 * Creates a ring holding at most `capacity` items.
 *
 * @example
 * ```ts
 * const r = createRing<number>(2);
 * r.push(1); r.push(2); r.push(3);
 * r.items(); // [2, 3]
 * ```
 */
export function createRing<T>(capacity: number): Ring<T> {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError(`ring capacity must be a whole number above 0, got ${capacity}`);
  }
  const slots: (T | undefined)[] = new Array(capacity);
  let next = 0;
  let pushed = 0;
  return {
    push(item) {
      slots[next] = item;
      next = (next + 1) % capacity;
      pushed++;
    },
    items() {
      if (pushed < capacity) return slots.slice(0, pushed) as T[];
      return [...slots.slice(next), ...slots.slice(0, next)] as T[];
    },
    get size() {
      return Math.min(pushed, capacity);
    },
    get pushed() {
      return pushed;
    },
  };
}
