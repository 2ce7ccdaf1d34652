/**
 * One bot process: spawned from the sandbox's {@link LaunchPlan} with piped stdin/stdout/stderr,
 * in its own process group (so a kill reaches everything it started). JSON lines go in on stdin;
 * stdout lines are IPC messages when they validate, otherwise the bot's output; stderr is output.
 */
import type { BotToHost } from "../bot/protocol.ts";
import type { LaunchPlan } from "../sandbox/types.ts";
import { parseBotLine } from "./ipc_protocol.ts";

/** Callbacks of a running bot process. */
export interface ProcessHandlers {
  /** A validated message from the bot. */
  onMessage(msg: BotToHost): void;
  /** A line the bot printed (stderr, or non-IPC stdout). */
  onOutput(line: string): void;
  /**
   * More than {@link MAX_PENDING_INPUT} characters wait to be written to the bot (it stops
   * reading its stdin); called once. Later writes are dropped: the caller should kill it.
   */
  onInputOverflow?(pending: number): void;
  /**
   * Asked after each chunk of the bot's output is handled: whether the bot went past one of its
   * bounds since the last call (lines refused for its rate limit, output or errors left out of
   * the log, forged IPC). Then its reader pauses (see {@link STRAINED_PAUSE_FACTOR}).
   */
  strained?(): boolean;
  /**
   * Sees each stdout line before it is parsed; true means it was handled already (a cheap
   * refusal) and is not parsed at all.
   */
  early?(line: string): boolean;
}

/** A spawned bot process. */
export interface BotProcess {
  readonly pid: number;
  /** Writes one line (JSON text without LF); ignored after the process is gone. */
  write(line: string): void;
  /** Closes the bot's stdin: a healthy bot exits by itself. */
  closeInput(): void;
  /** Kills the whole process group with SIGKILL (idempotent). */
  kill(): void;
  /** Resolves when the process has exited and its pipes are drained. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** Times its reader waited because the bot was over a bound ({@link ProcessHandlers.strained}). */
  readonly readPauses?: number;
}

const encoder = new TextEncoder();

/** Longest stdout/stderr line kept; longer ones are cut (a bot cannot make the host buffer GBs). */
export const MAX_PROCESS_LINE = 256 * 1024;

const READ_BUFFER = 16 * 1024;
/** Host time one chunk of a bot's output may take before its reader yields to everyone else. */
const YIELD_AFTER_MS = 1;
/**
 * How long the reader of a bot over one of its bounds waits before its next read, as a multiple
 * of the host time its last chunk took (at least 2 ms, at most {@link MAX_STRAINED_PAUSE_MS}): such
 * a bot gets at most a fifth of the host's time, and its IPC writes block on the full pipe
 * meanwhile, so a flood is slowed where it starts. A bot sending 200 000 lines/s past its rate
 * limit cost the host about 5 µs per line, half a core, and held the other bots' answers behind
 * its chunks (normal bot p50 2.1 → 8.9 ms, p99 9 → 219 ms, quiet machine). Its acks come later
 * but well within its handler budget; a bot within its bounds is never paced.
 */
export const STRAINED_PAUSE_FACTOR = 4;
/** The longest pause of a strained bot's reader (see {@link STRAINED_PAUSE_FACTOR}). */
export const MAX_STRAINED_PAUSE_MS = 50;

/**
 * Most characters waiting in the host for a bot's stdin while earlier ones are still in the pipe.
 * The inbox window (32 messages of up to 256 KiB inbound lines) fits, and so do the refusals of
 * a synchronous loop of 100 000 sends (about 300 bytes each, read once the loop ends); a bot that
 * stops reading for longer cannot make the host hold more (a timer storm once grew the runtime to
 * 2.2 GB here).
 */
export const MAX_PENDING_INPUT = 64 * 1024 * 1024;

/** Splits text chunks into lines; see {@link createLineSplitter}. */
export interface LineSplitter {
  /** Adds decoded text; calls `onLine` for every line it completes. */
  push(text: string): void;
  /** The input ended: a last unterminated line is passed on. */
  end(): void;
}

/**
 * Splits a bot's output into lines in time linear in its length: each chunk is searched once
 * (never the whole buffered line again), a partial line is kept as pieces joined once, and a line
 * longer than {@link MAX_PROCESS_LINE} is passed on cut at that length once, its rest skipped up
 * to the next newline (one event per over-long line, however long).
 */
export function createLineSplitter(onLine: (line: string) => void): LineSplitter {
  let parts: string[] = [];
  let held = 0;
  let skipping = false;
  const take = (piece: string) => {
    if (skipping) return;
    if (held + piece.length > MAX_PROCESS_LINE) {
      parts.push(piece.slice(0, MAX_PROCESS_LINE - held));
      onLine(parts.join(""));
      parts = [];
      held = 0;
      skipping = true;
      return;
    }
    parts.push(piece);
    held += piece.length;
  };
  return {
    push(text) {
      let from = 0;
      for (;;) {
        const nl = text.indexOf("\n", from);
        if (nl === -1) break;
        if (!skipping) {
          take(text.slice(from, nl));
          if (!skipping) onLine(parts.length === 1 ? parts[0] : parts.join(""));
        }
        parts = [];
        held = 0;
        skipping = false;
        from = nl + 1;
      }
      if (from < text.length) take(from === 0 ? text : text.slice(from));
    },
    end() {
      if (!skipping && held > 0) onLine(parts.join(""));
      parts = [];
      held = 0;
    },
  };
}

/** Process ids of the bot processes alive in this host process (each leads its own group). */
const LIVE_BOTS = new Set<number>();

/**
 * Kills every live bot process group at once, synchronously: for an immediate exit (a second
 * Ctrl-C), where the graceful stop is skipped but no bot may be left behind (each bot runs in its
 * own session, so a terminal's SIGINT does not reach it). Returns how many were signalled.
 */
export function killEveryBotNow(): number {
  let n = 0;
  for (const pid of LIVE_BOTS) {
    try {
      Deno.kill(-pid, "SIGKILL");
      n++;
    } catch {
      try {
        Deno.kill(pid, "SIGKILL");
        n++;
      } catch { /* already gone */ }
    }
  }
  LIVE_BOTS.clear();
  return n;
}

/** Spawns a bot process. */
export function spawnBot(plan: LaunchPlan, handlers: ProcessHandlers): BotProcess {
  const child = new Deno.Command(plan.cmd, {
    args: plan.args,
    env: plan.env,
    clearEnv: true,
    cwd: plan.cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    // setsid(): the bot leads its own process group, killed as one.
    detached: true,
  }).spawn();
  LIVE_BOTS.add(child.pid);
  const writer = child.stdin.getWriter();
  let alive = true;
  let killed = false;
  let overflowed = false;
  // Lines written in one turn, or while the previous write is still in the pipe, go out together
  // in one write: a syscall and a wake-up of the bot per batch instead of per line.
  let pending = "";
  let scheduled = false;
  let writing = false;
  const flush = () => {
    scheduled = false;
    if (writing || pending === "" || !alive) return;
    const bytes = encoder.encode(pending);
    pending = "";
    writing = true;
    writer.write(bytes).then(
      () => {
        writing = false;
        if (pending !== "") flush();
      },
      () => {
        pending = "";
      },
    );
  };

  let pauses = 0;
  const readLines = async (stream: ReadableStream<Uint8Array>, onLine: (l: string) => void) => {
    const decoder = new TextDecoder();
    // A BYOB reader with one buffer passed back and forth: the default reader allocates a fresh
    // zeroed 64 KiB chunk per read, per bot, which fed the garbage collector on every message.
    const reader = stream.getReader({ mode: "byob" });
    let space = new Uint8Array(READ_BUFFER);
    const lines = createLineSplitter(onLine);
    try {
      for (;;) {
        const { value: chunk, done } = await reader.read(space);
        if (done || !chunk) break;
        space = new Uint8Array(chunk.buffer);
        const t0 = performance.now();
        lines.push(decoder.decode(chunk, { stream: true }));
        // Fair reading: a bot whose output costs the host a while (a flood of sends, forged
        // errors) waits a macrotask before its next chunk, so the other bots' pipes and the
        // MMDAgent-EX socket are served in between; its own writes meet a full pipe meanwhile.
        if (handlers.strained?.()) {
          pauses++;
          const cost = performance.now() - t0;
          const pause = Math.min(MAX_STRAINED_PAUSE_MS, Math.max(2, STRAINED_PAUSE_FACTOR * cost));
          await new Promise((r) => setTimeout(r, pause));
        } else if (performance.now() - t0 > YIELD_AFTER_MS) {
          await new Promise((r) => setTimeout(r, 0));
        }
      }
    } catch {
      // The pipe broke because the process died; the exit status tells the rest.
    }
    lines.end();
  };

  const early = handlers.early;
  const stdoutDone = readLines(child.stdout, (line) => {
    if (early?.(line)) return;
    const msg = parseBotLine(line);
    if (msg) handlers.onMessage(msg);
    else if (line.trim() !== "") handlers.onOutput(line);
  });
  const stderrDone = readLines(child.stderr, (line) => {
    if (line.trim() !== "") handlers.onOutput(line);
  });

  const exited = (async () => {
    const status = await child.status;
    LIVE_BOTS.delete(child.pid);
    alive = false;
    await Promise.all([stdoutDone, stderrDone]);
    await writer.close().catch(() => {});
    return status;
  })();

  return {
    pid: child.pid,
    write(line) {
      if (!alive || overflowed) return;
      if (pending.length + line.length >= MAX_PENDING_INPUT) {
        overflowed = true;
        handlers.onInputOverflow?.(pending.length + line.length);
        return;
      }
      pending += line + "\n";
      if (!scheduled && !writing) {
        scheduled = true;
        queueMicrotask(flush);
      }
    },
    closeInput() {
      // Lines still batched go first; the stream writes them before it closes.
      if (pending !== "" && alive) writer.write(encoder.encode(pending)).catch(() => {});
      pending = "";
      writer.close().catch(() => {});
    },
    kill() {
      if (!alive || killed) return;
      killed = true;
      try {
        Deno.kill(-child.pid, "SIGKILL");
      } catch {
        // No group (already gone): fall back to the process itself.
      }
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
    },
    exited,
    get readPauses() {
      return pauses;
    },
  };
}
