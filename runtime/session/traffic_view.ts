/**
 * `start -v` outside console mode: a readable view of the traffic, both directions, one line per
 * message, with the bot that produced each outgoing line and whose line each echo is. It is a
 * runtime service, so it starts before the bots and the first connect (setup lines show too). Its
 * backlog is bounded: a slow terminal loses its oldest lines (said once per gap), it never slows
 * the session; at stop the lines already seen are still written (bounded too).
 *
 * ```
 * 12:00:01.234 → greeter  SYNTH_START|mei|mei_voice_normal|Hello!
 * 12:00:01.250 ←          SYNTH_START|mei|mei_voice_normal|Hello!  (echo of greeter)
 * 12:00:03.020 ←          SYNTH_EVENT_STOP|mei
 * ```
 *
 * @module
 */
import type { TrafficRecord } from "../record/schema.ts";
import type { RuntimeService } from "./runtime.ts";
import { within } from "../clock/deadline.ts";

/** Longest part of a line the view shows; the rest is counted. */
export const VIEW_MAX_CHARS = 400;
/** Width of the producer column (longer bot names push the line right). */
const WHO_WIDTH = 8;

/** One record as the view shows it (no newline). */
export function formatTraffic(r: TrafficRecord, color = false): string {
  const paint = (code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const clock = /T(\d\d:\d\d:\d\d(?:\.\d+)?)/.exec(r.time)?.[1] ?? r.time;
  const time = paint("2", clock.slice(0, 12).padEnd(12, "0"));
  const line = shown(r.line);
  if (r.dir === "out") {
    const who = (r.bot ?? "?").padEnd(WHO_WIDTH);
    return `${time} ${paint("36", "→")} ${paint("1", who)} ${line}`;
  }
  const echo = r.echo ? paint("2", `  (echo of ${r.bot ?? "?"})`) : "";
  return `${time} ${paint("33", "←")} ${" ".repeat(WHO_WIDTH)} ${line}${echo}`;
}

/** The line with control characters escaped and its length capped. */
function shown(line: string): string {
  // deno-lint-ignore no-control-regex
  const escaped = /[\x00-\x1f\x7f]/.test(line) ? JSON.stringify(line).slice(1, -1) : line;
  if (escaped.length <= VIEW_MAX_CHARS) return escaped;
  return `${escaped.slice(0, VIEW_MAX_CHARS)}… (${escaped.length - VIEW_MAX_CHARS} more chars)`;
}

/** Options of {@link trafficViewService}. */
export interface TrafficViewOptions {
  /** Writes one chunk of text (e.g. to stdout; stderr when stdout carries messages). */
  write(text: string): Promise<void>;
  color?: boolean;
}

/** Most records waiting for a slow output; past it the oldest are dropped (and counted). */
export const VIEW_BACKLOG = 10_000;
/** Longest a stop waits for the last lines to be written (a stuck terminal must not hold it). */
export const VIEW_FLUSH_MS = 2_000;

/** The view as a runtime service for `startSession({ services })`. */
export function trafficViewService(options: TrafficViewOptions): RuntimeService {
  const backlog: TrafficRecord[] = [];
  let dropped = 0;
  let wake: (() => void) | undefined;
  let closed = false;
  let off: (() => void) | undefined;
  let running: Promise<void> | undefined;
  return {
    name: "traffic view",
    start(rt) {
      off = rt.tap.onRecord((r) => {
        if (backlog.length >= VIEW_BACKLOG) {
          backlog.shift();
          dropped++;
        }
        backlog.push(r);
        wake?.();
      });
      running = (async () => {
        try {
          for (;;) {
            if (backlog.length === 0) {
              if (closed) return;
              await new Promise<void>((r) => wake = r);
              wake = undefined;
              continue;
            }
            let text = dropped > 0
              ? `… ${dropped} line(s) not shown: the output was too slow for the traffic\n`
              : "";
            dropped = 0;
            for (const r of backlog.splice(0)) text += formatTraffic(r, options.color) + "\n";
            await options.write(text);
          }
        } catch { /* the output went away (closed pipe): the session goes on without the view */ }
      })();
    },
    async stop() {
      // What was seen before the stop is still shown (the last answers matter most), bounded.
      off?.();
      closed = true;
      wake?.();
      if (running) await within(running, VIEW_FLUSH_MS);
    },
  };
}
