/**
 * Console mode, the embedded default of `deno task start`: the bots run against an in-process
 * MMDAgent-EX emulator, and the terminal plays the user. A typed line becomes the user's speech
 * (`RECOG_EVENT_START`, then `RECOG_EVENT_STOP|text`); a line starting with `/` is a raw message
 * issued on MMDAgent-EX's side (`//` escapes a leading slash). Works from a pipe: on EOF it waits
 * for the bots' pending replies (at most 2 s, until 400 ms pass without a new line) and returns.
 */
import type { Session } from "../session/session.ts";
import { CONSOLE_HELP, renderOutbound } from "./render.ts";
import { within } from "../clock/deadline.ts";

/** Longest wait for replies after EOF. */
export const DRAIN_MAX_MS = 2000;
/** Longest wait at EOF for bots still loading (their load timeouts end it sooner). */
export const SETTLE_MAX_MS = 30_000;
/** A reply burst is over after this long without a new outbound line. */
export const DRAIN_QUIET_MS = 400;

/** Options of {@link runConsole}. */
export interface ConsoleOptions {
  input?: ReadableStream<Uint8Array>;
  /** Where the avatar's side is shown (default stdout). */
  write?: (text: string) => void;
  color?: boolean;
  /** Also show every line MMDAgent-EX sends (echoes and events). */
  verbose?: boolean;
  /** Ends the console at once (Ctrl-C): no more input is read and no drain is waited for. */
  signal?: AbortSignal;
  /**
   * Whether the typed line is already on screen (a terminal echoes it): then it is not repeated
   * as `user: …`. Default: stdin is a terminal and no `input` was given.
   */
  echoed?: boolean;
}

/** Reads the user's lines until EOF (or until the session ends), showing the avatar's answers. */
export async function runConsole(session: Session, options: ConsoleOptions = {}): Promise<void> {
  const emulator = session.emulator;
  if (!emulator) throw new Error("console mode needs the in-process emulator");
  const encoder = new TextEncoder();
  const write = options.write ?? ((t: string) => Deno.stdout.writeSync(encoder.encode(t)));
  const color = options.color ?? (Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR"));
  const input = options.input ?? Deno.stdin.readable;
  const terminal = Deno.stdin.isTerminal() && !options.input;
  const echoed = options.echoed ?? terminal;
  if (terminal) write(CONSOLE_HELP + "\n");
  const stopped = options.signal;

  let lastOut = performance.now();
  const abort = new AbortController();
  const shown = (async () => {
    for await (const r of session.tap.subscribe(abort.signal)) {
      if (r.dir === "out") {
        lastOut = performance.now();
        const text = renderOutbound(r.line, color, r.bot);
        if (text) write(text + "\n");
      } else if (options.verbose) {
        write((color ? `\x1b[2m< ${r.line}\x1b[0m` : `< ${r.line}`) + "\n");
      }
    }
  })();

  const reader = input.pipeThrough(new TextDecoderStream()).pipeThrough(splitLines()).getReader();
  const aborted = new Promise<"aborted">((r) => {
    if (stopped?.aborted) r("aborted");
    stopped?.addEventListener("abort", () => r("aborted"), { once: true });
  });
  for (;;) {
    const next = await Promise.race([reader.read(), aborted]);
    if (next === "aborted") {
      // The pending read of stdin cannot be cancelled from here; the caller exits the process.
      reader.cancel().catch(() => {});
      abort.abort();
      await shown;
      return;
    }
    if (next.done) break;
    const line = next.value.replace(/\r$/, "");
    if (line.trim() === "") continue;
    if (line.startsWith("//")) say(line.slice(1));
    else if (line.startsWith("/")) {
      const bar = line.indexOf("|");
      const type = bar === -1 ? line.slice(1) : line.slice(1, bar);
      emulator.inject(type, bar === -1 ? null : line.slice(bar + 1));
    } else say(line);
    lastOut = performance.now();
  }

  // EOF: bots still loading keep what was said for them; wait until each first load settled
  // (bounded by the load timeouts), then let them finish answering.
  await within(session.host.settled(), SETTLE_MAX_MS, stopped);
  const start = performance.now();
  while (
    !stopped?.aborted && performance.now() - start < DRAIN_MAX_MS &&
    performance.now() - lastOut < DRAIN_QUIET_MS
  ) {
    await new Promise((r) => setTimeout(r, 50));
  }
  abort.abort();
  await shown;

  function say(text: string) {
    // A terminal already shows what was typed; a pipe does not.
    if (!echoed && options.verbose !== true) {
      write((color ? `\x1b[1muser:\x1b[0m ` : "user: ") + text + "\n");
    }
    emulator!.inject("RECOG_EVENT_START");
    emulator!.inject("RECOG_EVENT_STOP", text);
  }
}

/** Splits a text stream into lines (the last line may lack its LF). */
function splitLines(): TransformStream<string, string> {
  let buf = "";
  return new TransformStream({
    transform(chunk, controller) {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        controller.enqueue(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    },
    flush(controller) {
      if (buf !== "") controller.enqueue(buf);
    },
  });
}
