/**
 * MMDAgent-EX's Plugin_AnyScript side (reference 7.8): it starts the `.mdf`'s command line as a
 * child process, the way the binary does on Unix (`fork` + `execvp` of the line split at spaces and
 * tabs, no shell, working directory = the `.mdf`'s folder), writes every message to the child's
 * stdin as `TYPE|ARGS\n` (the child's own lines echoed back too, each cut to 2047 bytes plus LF),
 * and takes each LF-terminated line of its stdout (one trailing CR dropped, 2048 bytes or more cut)
 * as a message. The child's stderr goes to ours, as it goes to MMDAgent-EX's console.
 *
 * This lets `emulate anyscript.mdf` (and tests) run mmdbot exactly as MMDAgent-EX would start it.
 */
import type { Logger } from "../log/logger.ts";
import type { Emulator } from "./core.ts";
import { TIMED_OUT, within } from "../clock/deadline.ts";

/** The longest line the binary reads or writes on this path, terminator excluded. */
export const ANYSCRIPT_LINE_MAX = 2047;

/** A running AnyScript child. */
export interface AnyScriptSide {
  /** The child's process id. */
  readonly pid: number;
  /** Resolves with the child's exit code when it has exited. */
  readonly exited: Promise<number>;
  /**
   * Ends the child as MMDAgent-EX's exit does: stdin closed first (EOF), then SIGTERM after
   * `graceMs` (default 5000), SIGKILL after as long again. Resolves once it has exited.
   */
  close(graceMs?: number): Promise<number>;
}

/** Options of {@link startAnyScript}. */
export interface AnyScriptOptions {
  /** The command line split into words (`AnyScriptCommand.words`). */
  words: readonly string[];
  /** Working directory: the `.mdf`'s folder. */
  cwd: string;
  /** The emulator's connection id for this child (default 100, clear of TCP ids). */
  conn?: number;
  log?: Logger;
  /** Extra environment (the child inherits ours, as MMDAgent-EX's do). */
  env?: Record<string, string>;
}

/** Starts the child and connects it to `emu`. Throws when the program cannot be started. */
export function startAnyScript(emu: Emulator, options: AnyScriptOptions): AnyScriptSide {
  const [program, ...args] = options.words;
  if (program === undefined) throw new Error("the AnyScript command line is empty");
  const conn = options.conn ?? 100;
  const child = new Deno.Command(program, {
    args,
    cwd: options.cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
    env: options.env,
  }).spawn();
  const log = options.log;
  log?.info(`started the AnyScript child (pid ${child.pid}) in ${options.cwd}`, {
    command: options.words.join(" "),
  });

  const stdin = child.stdin.getWriter();
  let writing: Promise<void> = Promise.resolve();
  let stdinOpen = true;
  const offOutput = emu.onOutput((line) => {
    if (!stdinOpen) return;
    const bytes = cut(new TextEncoder().encode(line), ANYSCRIPT_LINE_MAX);
    const framed = new Uint8Array(bytes.length + 1);
    framed.set(bytes);
    framed[bytes.length] = 0x0a;
    writing = writing.then(() => stdin.write(framed)).catch(() => {
      stdinOpen = false;
    });
  });
  emu.connect(conn, "anyscript");

  const reading = (async () => {
    const decoder = new TextDecoder();
    let pending: number[] = [];
    const issue = () => {
      let bytes = Uint8Array.from(pending);
      pending = [];
      if (bytes.at(-1) === 0x0d) bytes = bytes.subarray(0, -1);
      const text = decoder.decode(bytes);
      if (text === "") return;
      const bar = text.indexOf("|");
      emu.inject(bar === -1 ? text : text.slice(0, bar), bar === -1 ? null : text.slice(bar + 1));
    };
    for await (const chunk of child.stdout) {
      for (const b of chunk) {
        if (b === 0x0a) issue();
        else {
          pending.push(b);
          if (pending.length > ANYSCRIPT_LINE_MAX) issue(); // cut without a terminator
        }
      }
    }
  })().catch((err) => log?.warn(`reading the AnyScript child's stdout failed: ${err}`));

  const exited = child.status.then(async (s) => {
    await reading;
    offOutput();
    emu.disconnect(conn, "anyscript");
    log?.info(`the AnyScript child exited`, { code: s.code, signal: s.signal ?? undefined });
    return s.code;
  });

  let closing: Promise<number> | undefined;
  return {
    pid: child.pid,
    exited,
    close(graceMs = 5000) {
      closing ??= (async () => {
        stdinOpen = false;
        await writing;
        await stdin.close().catch(() => {});
        const stopped = await within(exited, graceMs);
        if (stopped !== TIMED_OUT) return stopped;
        log?.warn(`the AnyScript child did not exit ${graceMs} ms after EOF: SIGTERM`);
        trySignal(child, "SIGTERM");
        const termed = await within(exited, graceMs);
        if (termed !== TIMED_OUT) return termed;
        trySignal(child, "SIGKILL");
        return await exited;
      })();
      return closing;
    },
  };
}

function cut(bytes: Uint8Array, max: number): Uint8Array {
  return bytes.length > max ? bytes.subarray(0, max) : bytes;
}

function trySignal(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch { /* already gone */ }
}
