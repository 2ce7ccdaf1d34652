/**
 * Echo marks. MMDAgent-EX injects every line a peer sends into its queue and forwards it back
 * 13–46 ms later (reference 7.x), interleaved with the events it causes. The host remembers what
 * it sent (in MMDAgent-EX's echo form) and by whom, so each bot can tell its own echoes apart.
 *
 * Every operation is O(1) amortized: entries sit in one queue in sending order (the host clock never
 * goes back), so expiry and eviction look only at its head. A peer that never echoes (another
 * program, a lost connection) used to make each send scan the whole memory.
 */
import { echoForm } from "../wire/parse.ts";

/** How long a sent line waits for its echo (covers a reconnect delay with queued lines). */
export const ECHO_TTL_MS = 30_000;
/** Bound on remembered lines, so a peer that never echoes cannot grow this without end. */
export const ECHO_MAX = 4096;

/** The sent-lines memory. */
export interface EchoTracker {
  /**
   * Remembers that `by` sent `line` at `now`. `form`, when given, must be `echoForm(line)` (a
   * caller that parsed the line already passes it).
   */
  sent(line: string, by: string, now: number, form?: string | undefined): void;
  /** Who sent the line this inbound text echoes, if any (each send matches one echo). */
  match(text: string, now: number): string | undefined;
}

interface Entry {
  form: string;
  by: string;
  at: number;
  /** Matched by an echo, or evicted: only its slot in the queue remains. */
  gone: boolean;
}

/** Creates an empty tracker. */
export function createEchoTracker(): EchoTracker {
  // Per form, its live entries oldest first; `order` holds every entry oldest first.
  const byForm = new Map<string, Entry[]>();
  let order: Entry[] = [];
  let head = 0;
  let size = 0;

  /** Removes `e`, the oldest live entry of its form, from the live set. */
  const drop = (e: Entry) => {
    e.gone = true;
    size--;
    const list = byForm.get(e.form)!;
    list.shift();
    if (list.length === 0) byForm.delete(e.form);
  };

  /** Drops entries from the head of the queue: gone, expired, or (when `full`) the oldest. */
  const trim = (now: number, full: boolean) => {
    while (head < order.length) {
      const e = order[head];
      if (e.gone) head++;
      else if (now - e.at > ECHO_TTL_MS || (full && size >= ECHO_MAX)) {
        drop(e);
        head++;
      } else break;
    }
    // Matched entries behind a young head leave holes; compact once they outnumber live ones.
    if (head > 1024 && head * 2 > order.length) {
      order = order.slice(head);
      head = 0;
    } else if (order.length - head > 4 * ECHO_MAX) {
      order = order.slice(head).filter((e) => !e.gone);
      head = 0;
    }
  };

  return {
    sent(line, by, now, known) {
      const form = known ?? echoForm(line);
      if (form === undefined) return;
      trim(now, true);
      const e: Entry = { form, by, at: now, gone: false };
      order.push(e);
      const list = byForm.get(form);
      if (list) list.push(e);
      else byForm.set(form, [e]);
      size++;
    },
    match(text, now) {
      const list = byForm.get(text);
      if (!list) return undefined;
      while (list.length > 0 && now - list[0].at > ECHO_TTL_MS) drop(list[0]);
      if (list.length === 0) return undefined;
      const hit = list[0];
      drop(hit);
      return hit.by;
    },
  };
}
