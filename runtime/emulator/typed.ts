/**
 * The user's side typed on a terminal (or piped), as console mode takes it: a line is the user's
 * speech (`RECOG_EVENT_START`, then `RECOG_EVENT_STOP|text`); a line starting with `/` is a raw
 * message MMDAgent-EX issues (`/KEY|a`, `/PROMPT_EVENT_SELECTED|0`); `//` escapes a leading slash.
 * `emulate` uses it so a user can talk to bots connected to the emulator.
 *
 * @module
 */
import type { Emulator } from "./core.ts";

/** What one typed line does. */
export type TypedLine =
  | { kind: "speech"; text: string }
  | { kind: "raw"; type: string; args: string | null }
  | { kind: "blank" };

/**
 * Reads one typed line.
 *
 * @example
 * ```ts
 * import { parseTyped } from "./typed.ts";
 * parseTyped("hello"); // { kind: "speech", text: "hello" }
 * parseTyped("/KEY|a"); // { kind: "raw", type: "KEY", args: "a" }
 * parseTyped("//etc"); // { kind: "speech", text: "/etc" }
 * ```
 */
export function parseTyped(input: string): TypedLine {
  const line = input.replace(/\r$/, "");
  if (line.trim() === "") return { kind: "blank" };
  if (line.startsWith("//")) return { kind: "speech", text: line.slice(1) };
  if (line.startsWith("/")) {
    const bar = line.indexOf("|");
    return bar === -1
      ? { kind: "raw", type: line.slice(1), args: null }
      : { kind: "raw", type: line.slice(1, bar), args: line.slice(bar + 1) };
  }
  return { kind: "speech", text: line };
}

/** Issues a typed line on MMDAgent-EX's side of `emu`. */
export function issueTyped(emu: Emulator, typed: TypedLine): void {
  if (typed.kind === "speech") {
    emu.inject("RECOG_EVENT_START");
    emu.inject("RECOG_EVENT_STOP", typed.text);
  } else if (typed.kind === "raw" && typed.type !== "") {
    emu.inject(typed.type, typed.args);
  }
}

/** Options of {@link feedTyped}. */
export interface FeedTypedOptions {
  /** Resolves true once a peer is there to hear the line (false: give up on the input). */
  ready(): Promise<boolean>;
  /** Called for each line before it is issued (e.g. to turn the conversation view on). */
  onLine?(typed: TypedLine): void;
  /** Stops reading. */
  signal?: AbortSignal;
}

/**
 * Feeds the lines of `input` to `emu` until EOF or `signal`; each line waits for a peer first (a
 * line said to nobody would be lost). Resolves with true at EOF, false when stopped.
 */
export async function feedTyped(
  emu: Emulator,
  input: ReadableStream<Uint8Array>,
  options: FeedTypedOptions,
): Promise<boolean> {
  const reader = input.pipeThrough(new TextDecoderStream()).getReader();
  const stopped = new Promise<"stopped">((r) => {
    if (options.signal?.aborted) r("stopped");
    options.signal?.addEventListener("abort", () => r("stopped"), { once: true });
  });
  let buf = "";
  const lines: string[] = [];
  try {
    for (;;) {
      while (lines.length > 0) {
        const typed = parseTyped(lines.shift()!);
        if (typed.kind === "blank") continue;
        if (await Promise.race([options.ready(), stopped]) !== true) return false;
        options.onLine?.(typed);
        issueTyped(emu, typed);
      }
      const next = await Promise.race([reader.read(), stopped]);
      if (next === "stopped") return false;
      if (next.done) {
        if (buf === "") return true;
        lines.push(buf);
        buf = "";
        continue;
      }
      buf += next.value;
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    }
  } finally {
    // A pending read of stdin cannot be cancelled; the caller exits the process when it matters.
    reader.cancel().catch(() => {});
  }
}
