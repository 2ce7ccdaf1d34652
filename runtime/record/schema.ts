/**
 * One line of traffic as `listen --json`, the control channel's tail and `start --record` write it
 * (decisions.md: one JSON line schema for all three, so a capture can be replayed).
 */

/** Which way a line went. `in` = from MMDAgent-EX; `out` = toward it. */
export type Direction = "in" | "out";

/** One recorded or tailed line. */
export interface TrafficRecord {
  /** ISO 8601 time the line was seen. */
  time: string;
  /** Milliseconds since the session started (what replay uses as its virtual clock). */
  t: number;
  /** `in` from MMDAgent-EX, `out` toward it. */
  dir: Direction;
  /** Connection id, e.g. `tcp:127.0.0.1:54321`, `ws:/chat`, `stdio`, `console`. */
  conn: string;
  /** For `out`: the producing bot, or `cli`/`control`/`setup`. For `in`: the bot whose echo it is. */
  bot?: string;
  /** For `in`: true when the line is the echo of a line mmdbot sent. */
  echo?: boolean;
  /** The line without its LF (SND packets are recorded as their 7-byte header only). */
  line: string;
}
