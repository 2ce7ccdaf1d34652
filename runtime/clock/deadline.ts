/**
 * The one deadline helper for real time: wait for a promise, but no longer than a bound. Waits on
 * the host's clock (virtual in tests) belong to `Clock`; this is for process- and socket-level
 * waits (a child's exit, an echo, a drain) that must never hang a command.
 *
 * @module
 */

/** What {@link within} returns when the deadline passed first. */
export const TIMED_OUT: unique symbol = Symbol("timed out");

/**
 * `p`'s value if it settles within `ms` (its rejection too), else {@link TIMED_OUT}. The timer is
 * cleared either way, so a settled wait keeps no process alive. An `AbortSignal` ends the wait
 * early, also with {@link TIMED_OUT}.
 *
 * @example
 * ```ts
 * import { TIMED_OUT, within } from "./deadline.ts";
 * const r = await within(new Promise(() => {}), 10);
 * r === TIMED_OUT; // true
 * ```
 */
export async function within<T>(
  p: Promise<T>,
  ms: number,
  signal?: AbortSignal,
): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const late = new Promise<typeof TIMED_OUT>((r) => {
    timer = setTimeout(() => r(TIMED_OUT), Math.max(0, ms));
    if (signal) {
      onAbort = () => r(TIMED_OUT);
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
}
