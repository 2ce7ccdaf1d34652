/**
 * The session's traffic tap: every line in and out becomes one {@link TrafficRecord}, handed to
 * the recorder (`start --record`) and to every live `listen`/tail subscriber. A slow subscriber
 * loses its oldest records (counted), never slows the session.
 */
import type { Direction, TrafficRecord } from "../record/schema.ts";

/** Most records a subscriber may have waiting before the oldest are dropped. */
export const SUBSCRIBER_BACKLOG = 10_000;

/** The tap. */
export interface TrafficTap {
  /** Records one line. */
  emit(dir: Direction, conn: string, line: string, extra?: { bot?: string; echo?: boolean }): void;
  /** Live records until `signal` aborts. */
  subscribe(signal: AbortSignal): AsyncIterable<TrafficRecord>;
  /**
   * Adds a listener called synchronously for each record, in order (the recorder, the dashboard);
   * returns its removal.
   */
  onRecord(fn: (r: TrafficRecord) => void): () => void;
}

/** Creates a tap whose `t` counts from `origin` on `now`. */
export function createTrafficTap(now: () => number): TrafficTap {
  const origin = now();
  const listeners = new Set<(r: TrafficRecord) => void>();
  return {
    emit(dir, conn, line, extra = {}) {
      if (listeners.size === 0) return;
      const record: TrafficRecord = {
        // The clock's own time: wall time in a real session, the virtual time in the test kit and
        // replay (so a recording made there carries the time its bots saw).
        time: new Date(now()).toISOString(),
        t: Math.round((now() - origin) * 1000) / 1000,
        dir,
        conn,
        line,
      };
      if (extra.bot !== undefined) record.bot = extra.bot;
      if (extra.echo) record.echo = true;
      for (const fn of listeners) fn(record);
    },
    onRecord(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    async *subscribe(signal) {
      const backlog: TrafficRecord[] = [];
      let wake: (() => void) | undefined;
      const fn = (r: TrafficRecord) => {
        if (backlog.length >= SUBSCRIBER_BACKLOG) backlog.shift();
        backlog.push(r);
        wake?.();
      };
      const onAbort = () => wake?.();
      listeners.add(fn);
      signal.addEventListener("abort", onAbort);
      try {
        while (!signal.aborted) {
          const r = backlog.shift();
          if (r) {
            yield r;
            continue;
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      } finally {
        listeners.delete(fn);
        signal.removeEventListener("abort", onAbort);
      }
    },
  };
}
