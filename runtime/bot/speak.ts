/**
 * `ctx.speak`: `SYNTH_START`, then a wait for that model's `SYNTH_EVENT_STOP`, registered before
 * the line is sent so a fast end of speech cannot slip past. (The conversation feature replaces it
 * with floor-aware speech; this is the plain form.)
 */
import { type Send, type SpeakOptions, WaitTimeoutError } from "./define.ts";
import type { Waits } from "./waits.ts";

/** Builds `ctx.speak` over `send` and `waits`. */
export function createSpeak(send: Send, waits: Waits) {
  return async (
    model: string,
    voice: string,
    text: string,
    options: SpeakOptions = {},
  ): Promise<boolean> => {
    const ms = options.timeoutMs ?? Math.min(60_000, 5_000 + 150 * String(text).length);
    const cancel = new AbortController();
    const done = waits.waitFor("SYNTH_EVENT_STOP", {
      match: (m) => m.fields[0] === model,
      timeoutMs: ms,
      signal: cancel.signal,
    });
    try {
      await send.synthStart(model, voice, text);
    } catch (e) {
      cancel.abort();
      done.catch(() => {});
      throw e;
    }
    try {
      await done;
      return true;
    } catch (e) {
      if (e instanceof WaitTimeoutError) return false;
      throw e;
    }
  };
}
