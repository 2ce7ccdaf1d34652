/**
 * Echo marks. MMDAgent-EX injects every line a peer sends into its queue and forwards it back
 * 13–46 ms later (reference 7.x), interleaved with the events it causes. The host remembers what
 * it sent (in MMDAgent-EX's echo form) and by whom, so each bot can tell its own echoes apart.
 */
import { echoForm } from "../wire/parse.ts";

/** How long a sent line waits for its echo (covers a reconnect delay with queued lines). */
export const ECHO_TTL_MS = 30_000;
/** Bound on remembered lines, so a peer that never echoes cannot grow this without end. */
export const ECHO_MAX = 4096;

/** The sent-lines memory. */
export interface EchoTracker {
  /** Remembers that `by` sent `line` at `now`. */
  sent(line: string, by: string, now: number): void;
  /** Who sent the line this inbound text echoes, if any (each send matches one echo). */
  match(text: string, now: number): string | undefined;
}

/** Creates an empty tracker. */
export function createEchoTracker(): EchoTracker {
  const byForm = new Map<string, { by: string; at: number }[]>();
  let size = 0;
  const expire = (now: number) => {
    for (const [form, list] of byForm) {
      while (list.length > 0 && now - list[0].at > ECHO_TTL_MS) {
        list.shift();
        size--;
      }
      if (list.length === 0) byForm.delete(form);
    }
  };
  return {
    sent(line, by, now) {
      const form = echoForm(line);
      if (form === undefined) return;
      if (size >= ECHO_MAX) expire(now);
      if (size >= ECHO_MAX) {
        // Still full: drop the oldest entry of the first form (insertion order).
        const [first] = byForm;
        if (first) {
          first[1].shift();
          size--;
          if (first[1].length === 0) byForm.delete(first[0]);
        }
      }
      const list = byForm.get(form);
      if (list) list.push({ by, at: now });
      else byForm.set(form, [{ by, at: now }]);
      size++;
    },
    match(text, now) {
      const list = byForm.get(text);
      if (!list) return undefined;
      while (list.length > 0 && now - list[0].at > ECHO_TTL_MS) {
        list.shift();
        size--;
      }
      const hit = list.shift();
      if (hit) size--;
      if (list.length === 0) byForm.delete(text);
      return hit?.by;
    },
  };
}
