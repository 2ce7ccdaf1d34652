/**
 * The rows of the page's traffic view, as the server sends them: a line in or out with its
 * producing bot, or a line that was refused before it reached the wire (marked with the code and
 * the reason). Long lines are cut for the page (an inbound line may be 256 KiB), so the ring's
 * memory stays bounded; the cut says how long the line really was.
 */
import type { TrafficRecord } from "../record/schema.ts";
import type { RefusedLine } from "./source.ts";

/** Characters of a line the page keeps; the rest is cut and counted. */
export const SHOWN_CHARS = 2000;

/** One row of the traffic view. */
export interface TrafficItem {
  /** Increasing across the session (the page uses it to order and de-duplicate). */
  seq: number;
  /** ISO 8601 wall time. */
  time: string;
  /**
   * `in` from MMDAgent-EX, `out` toward it (refused lines are `out` and never written), `link` a
   * change of the connection (its `line` says which, e.g. `connected tcp:127.0.0.1:50001`).
   */
  dir: "in" | "out" | "link";
  /** The producing bot for `out`, the echoed bot for an `in` echo. */
  bot?: string;
  echo?: boolean;
  line: string;
  /** Length of the whole line when `line` was cut. */
  fullLength?: number;
  /** Present when the line was refused: nothing was written. */
  refused?: { code: string; reason: string; fix?: string };
}

function cut(line: string): { line: string; fullLength?: number } {
  if (line.length <= SHOWN_CHARS) return { line };
  return { line: line.slice(0, SHOWN_CHARS), fullLength: line.length };
}

/** A row for one tapped line. */
export function trafficItem(seq: number, r: TrafficRecord): TrafficItem {
  const item: TrafficItem = { seq, time: r.time, dir: r.dir, ...cut(r.line) };
  if (r.bot !== undefined) item.bot = r.bot;
  if (r.echo) item.echo = true;
  return item;
}

/** A row for one refused line. */
export function refusedItem(seq: number, r: RefusedLine, time = new Date()): TrafficItem {
  const refused: TrafficItem["refused"] = { code: r.refusal.code, reason: r.refusal.reason };
  if (r.refusal.fix) refused.fix = r.refusal.fix;
  return { seq, time: time.toISOString(), dir: "out", bot: r.source, ...cut(r.line), refused };
}

/** A marker row for a change of the connection. */
export function linkItem(
  seq: number,
  ev: { state: string; connection?: string; detail?: string },
  time = new Date(),
): TrafficItem {
  const parts = [ev.state, ev.connection, ev.detail ? `(${ev.detail})` : undefined];
  return { seq, time: time.toISOString(), dir: "link", line: parts.filter(Boolean).join(" ") };
}
