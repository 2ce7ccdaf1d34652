/**
 * The real CLI as a child process, for the CLI tests: run it to its exit, or spawn it and read
 * its output as it comes. Each child gets its own control-channel folder (`MMDBOT_RUNTIME_DIR`)
 * so tests never find each other's runtimes, and `NO_COLOR`.
 */
import { fileURLToPath } from "node:url";

/** The CLI's entry point. */
export const MAIN = fileURLToPath(new URL("../../runtime/cli/main.ts", import.meta.url));
/** The project folder. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Options of {@link mmdbot} and {@link spawnMmdbot}. */
export interface ChildOptions {
  /** Working directory (default the project folder). */
  cwd?: string;
  /** Extra environment (merged over the test's own). */
  env?: Record<string, string>;
  /** Text written to stdin, then closed (default: no stdin). */
  input?: string;
}

const dec = new TextDecoder();

function command(args: string[], options: ChildOptions, stdin: "piped" | "null") {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", MAIN, ...args],
    cwd: options.cwd ?? ROOT,
    env: { NO_COLOR: "1", MMDBOT_RUNTIME_DIR: Deno.makeTempDirSync(), ...options.env },
    stdin,
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs `mmdbot <args>` to its exit (killed after `guardMs`, to catch a hang). */
export async function mmdbot(
  args: string[],
  options: ChildOptions = {},
  guardMs = 90_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = command(args, options, options.input === undefined ? "null" : "piped").spawn();
  const guard = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
  }, guardMs);
  try {
    if (options.input !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(options.input));
      await w.close();
    }
    const out = await child.output();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    clearTimeout(guard);
  }
}

/** Text collected from a stream as it comes; `until` waits (bounded) for a condition on it. */
export interface Collected {
  readonly text: string;
  /** Resolves once the stream ended. */
  readonly ended: Promise<void>;
  /** Waits until `pred` holds, the stream ended or `ms` passed; returns whether it holds. */
  until(pred: (text: string) => boolean, ms: number): Promise<boolean>;
}

/** Collects `stream`'s text in the background. */
export function collect(stream: ReadableStream<Uint8Array>): Collected {
  let text = "";
  let done = false;
  let wake: (() => void) | undefined;
  const ended = stream.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({
      write(t) {
        text += t;
        wake?.();
      },
    }),
  ).catch(() => {}).finally(() => {
    done = true;
    wake?.();
  });
  return {
    get text() {
      return text;
    },
    ended,
    async until(pred, ms) {
      const deadline = Date.now() + ms;
      while (!pred(text) && !done && Date.now() < deadline) {
        await Promise.race([
          new Promise<void>((r) => wake = r),
          new Promise((r) => setTimeout(r, 100)),
        ]);
      }
      return pred(text);
    },
  };
}

/** A running `mmdbot <args>` with its stdout and stderr collected, and stdin open. */
export interface SpawnedMmdbot {
  child: Deno.ChildProcess;
  stdout: Collected;
  stderr: Collected;
  /** Writes text to its stdin. */
  type(text: string): Promise<void>;
  /** Sends `signal` (default SIGTERM) and waits for the exit and the end of its output. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** Spawns `mmdbot <args>` (killed after `guardMs`, to catch a hang). */
export function spawnMmdbot(
  args: string[],
  options: ChildOptions = {},
  guardMs = 90_000,
): SpawnedMmdbot {
  const child = command(args, options, "piped").spawn();
  const guard = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
  }, guardMs);
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const writer = child.stdin.getWriter();
  return {
    child,
    stdout,
    stderr,
    type: (text) => writer.write(new TextEncoder().encode(text)),
    async stop(signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch { /* exited */ }
      const status = await child.status;
      clearTimeout(guard);
      await writer.close().catch(() => {});
      await stdout.ended;
      await stderr.ended;
      return status;
    },
  };
}
