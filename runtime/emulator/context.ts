/**
 * The shared shape of the emulator's command families: each family module exports a
 * {@link Family} (its command handlers and its slice of state) and reaches the rest of the emulated
 * MMDAgent-EX only through the {@link EmuContext} the core gives it.
 */
import type { Clock, TimerId } from "../clock/clock.ts";
import type { Logger } from "../log/logger.ts";
import type { FaultKind } from "./parser.ts";

/** One message as MMDAgent-EX's handlers see it. */
export interface Msg {
  type: string;
  /** The raw ARGS text (after the first `|`), or null when there is none. */
  args: string | null;
  /** ARGS split on `|` with empty fields dropped and at most 10 kept, as the core does. */
  fields: string[];
}

/** What a handler may do. */
export interface EmuContext {
  readonly clock: Clock;
  readonly log: Logger;
  /** Speech with an installed voice (default), or exactly the observed voiceless binary. */
  readonly voice: boolean;
  /** The content folder that relative paths resolve against (the `.mdf`'s folder). */
  readonly contentDir: string;
  /** Queues a message: it goes out to the peers like an echo and every handler sees it. */
  issue(type: string, args?: string | null): void;
  /** Runs `fn` after `ms` on the emulator's clock (cancelled when the emulator closes). */
  later(ms: number, fn: () => void): TimerId;
  /** Cancels a {@link later} timer. */
  cancel(id: TimerId | undefined): void;
  /** Reports a command-level fault; returns true when the effect must be simulated. */
  fault(kind: FaultKind, line: string, explanation: string): boolean;
  /**
   * Freezes the main thread for `ms` (crash mode): the message being processed and everything after
   * it wait, timers fire late, and nothing is sent until it thaws.
   */
  freeze(ms: number): void;
  /** Simulates the process dying (`crash`) or the main thread spinning (`hang`). */
  die(how: "crash" | "hang", afterMs?: number): void;
  /** Resolves a path from a message against the content folder. */
  resolve(path: string): string;
  /** True when the path (resolved) is an existing regular file. */
  exists(path: string): boolean;
  /** Reads a file (resolved), or undefined when it cannot be read. */
  readBytes(path: string): Uint8Array | undefined;
  /** Whether a plugin is enabled (`Variables`, `TextArea`, `VIManager`, `Audio`, `Remote`, …). */
  pluginEnabled(name: string): boolean;
  /** Shared emulator state that several families touch. */
  readonly shared: SharedState;
}

/** A model known to the emulated MMDAgent-EX. */
export interface ModelState {
  alias: string;
  file: string;
  parent?: string;
  /** Motions playing on it, alias → end timer (undefined for LOOP motions). */
  motions: Map<string, { file: string; loop: boolean; timer?: TimerId }>;
  /** Set once a lip-sync ran on it; MODEL_DELETE then emits LIPSYNC_EVENT_STOP (observed). */
  hadLipsync: boolean;
  lipsyncTimer?: TimerId;
  /** Whether SPEAK_START already created the internal lip-sync avatar (AVATAR|START once). */
  speakAvatar: boolean;
  /** MOVE/TURN/ROTATE state. */
  moving: Partial<Record<"MOVE" | "TURN" | "ROTATE", TimerId>>;
  position: [number, number, number];
  rotation: [number, number, number];
}

/** State that crosses family boundaries. */
export interface SharedState {
  models: Map<string, ModelState>;
  /** Per-connection avatar controllers: the bound model alias and the action counter. */
  avatars: Map<number, { model?: string; enabled: boolean; actions: number; lastAction?: string }>;
  /** Whether the content had a main FST at start-up (FST_LOAD/SUBFST_START crash without one). */
  hasStartupFst: boolean;
}

/** A command handler. */
export type Handler = (ctx: EmuContext, msg: Msg) => void;

/** One family of commands (one MMDAgent-EX plugin or core area). */
export interface Family {
  name: string;
  handlers: Record<string, Handler>;
  /**
   * Runs before the echo. Returns true when the message would hang the main thread before
   * Plugin_Remote forwards it (VALUE_* after a middle VALUE_UNSET).
   */
  beforeEcho?: (ctx: EmuContext, msg: Msg) => boolean;
  /** Sees every message after its handler ran (the FST does this). */
  observe?: (ctx: EmuContext, msg: Msg) => void;
}

/** Splits ARGS as MMDAgent-EX's core does: on `|`, empty fields dropped, at most 10 kept. */
export function splitFields(args: string | null): string[] {
  if (!args) return [];
  return args.split("|").filter((f) => f !== "").slice(0, 10);
}

/** Parses `x,y,z` (or any fixed count) the way `MMDAgent_str2fvec` does: exact count, atof each. */
export function parseVec(text: string | undefined, count: number): number[] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(",").filter((p) => p !== "");
  if (parts.length !== count) return undefined;
  const out = parts.map(atof);
  return out;
}

/** C `atof`: a leading number, trailing junk ignored, 0 when none. */
export function atof(text: string | undefined | null): number {
  if (!text) return 0;
  const m = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(text);
  return m ? parseFloat(m[0]) : 0;
}

/** True when `text` is a plain decimal number (for argument checks that need one). */
export function isNumber(text: string | undefined): boolean {
  return text !== undefined && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text);
}

/** MMDAgent-EX runs its frame loop at 30 fps; durations given in frames convert with this. */
export const FPS = 30;
