/**
 * The emulated MMDAgent-EX: one message queue, the command families as its plugins, and event
 * synthesis on a {@link Clock}, as answers.md records for the real binary (commit 9981469).
 *
 * Every message (a peer's line, a line MMDAgent-EX issues itself, an event) goes through the same
 * FIFO queue: it is forwarded to every connected peer as `TYPE|ARGS\n` (the "echo"), then each
 * family's handler sees it and may issue more messages, which follow in the same tick. Frame-loop
 * and thread events are scheduled on the clock with the delays measured on the real binary.
 *
 * @example
 * const emu = new Emulator({ clock: new VirtualClock() });
 * emu.onOutput((line) => console.log(line));
 * emu.connect(0, "127.0.0.1");
 * emu.receive(new TextEncoder().encode("TIMER_START|t|1\n"), 0);
 */
import { type Clock, realClock, type TimerId } from "../clock/clock.ts";
import { type Logger, silentLogger } from "../log/logger.ts";
import {
  type EmuContext,
  type Family,
  type Handler,
  type Msg,
  type SharedState,
  splitFields,
} from "./context.ts";
import {
  type Fault,
  type FaultKind,
  type FaultMode,
  hex,
  type ParserEvent,
  RemoteParser,
} from "./parser.ts";
import { newVariablesState, variablesFamily, type VariablesState } from "./variables.ts";
import { timersFamily } from "./timers.ts";
import { modelsFamily } from "./models.ts";
import { motionsFamily } from "./motions.ts";
import { textareaFamily } from "./textarea.ts";
import { captionsFamily, newCaptionsState } from "./captions.ts";
import { promptsFamily, type PromptState, selectPrompt } from "./prompts.ts";
import { buttonsMenusFamily, newButtonsMenusState } from "./buttons_menus.ts";
import { newWindowsState, windowsFamily } from "./windows.ts";
import { newSpeechState, speechFamily, type SpeechState } from "./speech.ts";
import { newPluginsState, pluginsFamily, STARTUP_PLUGINS } from "./plugins.ts";
import { fstFamily, type FstState, loadStartupFst } from "./fst.ts";
import { avatarFamily, avatarLine } from "./avatar.ts";
import { createSoundOut, type SoundOut } from "./sound_out.ts";

/** 450 frames at 30 fps without a byte from a connection → `AVATAR_EVENT_IDLE|START`. */
export const IDLE_MS = 15000;
/** `AVATAR_EVENT_IDLE|STOP` comes one frame after the read that ends the idle time. */
export const FRAME_MS = 1000 / 30;
/** `CURRENT_TIME|hh|mm` period. */
export const CURRENT_TIME_MS = 30000;
/** Outbound lines are formatted into 2048 bytes: longer ones lose their end and their LF. */
export const OUTBOUND_MAX = 2047;

/** Options of {@link Emulator}. */
export interface EmulatorOptions {
  clock?: Clock;
  log?: Logger;
  /** Answer speech as a content with an installed voice does (default true). */
  voice?: boolean;
  /** Folder that relative file names resolve against (the `.mdf`'s folder; default cwd). */
  contentDir?: string;
  /** The start-up FST file (`<mdf name>.fst`); none means FST_LOAD/SUBFST_START crash triggers. */
  fstFile?: string;
  /** `recover` reports faults and carries on; `crash` simulates their effect (`--strict=crash`). */
  mode?: FaultMode;
  /** Send `CURRENT_TIME` every 30 s (default true). */
  currentTime?: boolean;
}

/** Emulator life state. */
export type EmulatorStatus = "running" | "hung" | "dead";

/** SND audio received on one connection. */
export interface SndStats {
  packets: number;
  bytes: number;
  /** Model bound with `__AV_SETMODEL` when the last packet came (audio is dropped without one). */
  model?: string;
}

/** Formats one outbound message exactly as Plugin_Remote writes it. */
export function formatOutbound(type: string, args: string | null): Uint8Array {
  const text = args !== null && args !== "" ? `${type}|${args}` : type;
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > OUTBOUND_MAX) return bytes.slice(0, OUTBOUND_MAX);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = 0x0a;
  return out;
}

/** The emulated MMDAgent-EX (see the module documentation). */
export class Emulator {
  readonly clock: Clock;
  readonly log: Logger;
  readonly parser: RemoteParser;
  readonly mode: FaultMode;
  /** Every fault seen, in order. */
  readonly faults: Fault[] = [];
  /** SND audio per connection. */
  readonly snd = new Map<number, SndStats>();
  /** The sound device behind SND audio: what played, when, and where it was cut. */
  readonly sound: SoundOut = createSoundOut((conn, why) =>
    this.#reportFault({ kind: "drop", bytes: "", explanation: why, conn })
  );
  readonly shared: SharedState;
  readonly variables: VariablesState;
  readonly prompt: PromptState = {};
  readonly plugins = newPluginsState();
  readonly fst: FstState;
  #status: EmulatorStatus = "running";
  #handlers = new Map<string, Handler>();
  #families: Family[] = [];
  #queue: Msg[] = [];
  #draining = false;
  #timers = new Set<TimerId>();
  #peers = new Set<number>();
  #idle = new Map<number, { timer?: TimerId; idle: boolean }>();
  #outputs = new Set<(line: string, bytes: Uint8Array) => void>();
  #faultListeners = new Set<(f: Fault) => void>();
  #deathListeners = new Set<(how: "crash" | "hang") => void>();
  #remoteDisableListeners = new Set<() => void>();
  #ctx: EmuContext;
  #contentDir: string;
  #voice: boolean;
  #origin: number;
  #clockTimer?: TimerId;
  #speech: SpeechState = newSpeechState();
  /** While the main thread is frozen: the timer callbacks that came due meanwhile. */
  #frozen?: { held: (() => void)[]; thaw: TimerId };
  /** The message whose processing froze the main thread (its checks already ran). */
  #resumed?: Msg;

  constructor(options: EmulatorOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? silentLogger;
    this.mode = options.mode ?? "recover";
    this.parser = new RemoteParser({ mode: this.mode });
    this.#contentDir = options.contentDir ?? Deno.cwd();
    this.#voice = options.voice ?? true;
    this.#origin = this.clock.now();
    this.variables = newVariablesState();
    this.shared = { models: new Map(), avatars: new Map(), hasStartupFst: false };
    this.#ctx = this.#makeContext();
    this.fst = loadStartupFst(this.#ctx, options.fstFile);
    this.shared.hasStartupFst = this.fst.main !== undefined;
    const families: Family[] = [
      variablesFamily(this.variables),
      timersFamily(new Map(), this.#origin),
      modelsFamily(),
      motionsFamily(),
      textareaFamily(new Set()),
      captionsFamily(newCaptionsState()),
      promptsFamily(this.prompt),
      buttonsMenusFamily(newButtonsMenusState()),
      windowsFamily(newWindowsState()),
      speechFamily(this.#speech),
      pluginsFamily(this.plugins, () => this.#remoteDisabled()),
      fstFamily(this.fst),
      avatarFamily(),
    ];
    for (const f of families) {
      this.#families.push(f);
      for (const [type, h] of Object.entries(f.handlers)) this.#handlers.set(type, h);
    }
    if (options.currentTime ?? true) this.#scheduleCurrentTime();
  }

  /** `running`, or `hung`/`dead` after a simulated fatal fault. */
  get status(): EmulatorStatus {
    return this.#status;
  }

  /** Number of connected peers. */
  get peers(): number {
    return this.#peers.size;
  }

  /** Listens to every outbound line (text without LF, and the exact bytes to write). */
  onOutput(fn: (line: string, bytes: Uint8Array) => void): () => void {
    this.#outputs.add(fn);
    return () => this.#outputs.delete(fn);
  }

  /** Listens to faults as they are found. */
  onFault(fn: (f: Fault) => void): () => void {
    this.#faultListeners.add(fn);
    return () => this.#faultListeners.delete(fn);
  }

  /** Listens to the simulated death or hang of the process. */
  onDeath(fn: (how: "crash" | "hang") => void): () => void {
    this.#deathListeners.add(fn);
    return () => this.#deathListeners.delete(fn);
  }

  /** Listens to `PLUGIN_DISABLE|Remote` (the network thread stops, every connection closes). */
  onRemoteDisable(fn: () => void): () => void {
    this.#remoteDisableListeners.add(fn);
    return () => this.#remoteDisableListeners.delete(fn);
  }

  /**
   * The start-up messages: `PLUGIN_EVENT_ENABLE|…` for each plugin, then `CURRENT_TIME`. Only peers
   * connected at that moment see them (client and WebSocket modes connect during start-up).
   */
  startup(): void {
    for (const p of STARTUP_PLUGINS) this.#ctx.issue("PLUGIN_EVENT_ENABLE", p);
    this.#ctx.issue("CURRENT_TIME", this.#hhmm());
  }

  /** A peer connected. `announce` issues `REMOTE_EVENT_CONNECTED|ip` (TCP server mode only). */
  connect(conn: number, ip: string, options: { announce?: boolean } = {}): void {
    if (this.#status !== "running") return;
    this.#peers.add(conn);
    this.shared.avatars.set(conn, { enabled: false, actions: 0 });
    this.#idle.set(conn, { idle: false });
    this.#resetIdle(conn);
    if (options.announce) this.#ctx.issue("REMOTE_EVENT_CONNECTED", ip);
  }

  /** A peer went away. `announce` issues `REMOTE_EVENT_DISCONNECTED|ip` (TCP server mode only). */
  disconnect(conn: number, ip: string, options: { announce?: boolean } = {}): void {
    if (!this.#peers.delete(conn)) return;
    this.sound.disconnect(conn, this.clock.now());
    const idle = this.#idle.get(conn);
    if (idle?.timer !== undefined) this.#cancel(idle.timer);
    this.#idle.delete(conn);
    this.shared.avatars.delete(conn);
    if (options.announce && this.#status === "running") {
      this.#ctx.issue("REMOTE_EVENT_DISCONNECTED", ip);
    }
  }

  /** One read of bytes from connection `conn`; returns what the parser made of it. */
  receive(chunk: Uint8Array, conn: number): ParserEvent[] {
    if (this.#status !== "running") return [];
    this.#resetIdle(conn);
    const events = this.parser.read(chunk, conn);
    this.#checkSynthRace(events, conn);
    // Every message of one read is queued before any of them is processed, as Plugin_Remote's
    // extUpdate injects its whole queue at once: echoes of a batch come before their events.
    this.#batch(() => {
      for (const ev of events) {
        if (this.#status !== "running") break;
        this.#handleParserEvent(ev);
      }
    });
    if (this.parser.state !== "ok" && this.#status === "running") {
      this.#die(this.parser.state === "hung" ? "hang" : "crash");
    }
    return events;
  }

  /**
   * Two `SYNTH_START`s for one model in one read race in the real TTS plugin: the second overwrites
   * the thread's text before the first was copied (one run lost the barge-in, another spoke the
   * second text twice). The emulator reports the fault; it speaks them as a start and an
   * interruption, or, in crash mode, as the second outcome: the last text twice, the first never.
   */
  #checkSynthRace(events: readonly ParserEvent[], conn: number): void {
    const starts = new Map<string, { texts: string[]; second?: string }>();
    for (const ev of events) {
      if (ev.kind !== "message" || ev.type !== "SYNTH_START" || ev.args === null) continue;
      const fields = splitFields(ev.args);
      if (fields.length !== 3) continue;
      const seen = starts.get(fields[0]) ?? { texts: [] };
      seen.texts.push(fields[2]);
      if (seen.texts.length === 2) seen.second = ev.args;
      starts.set(fields[0], seen);
    }
    for (const [model, { texts, second }] of starts) {
      if (texts.length < 2) continue;
      if (this.mode === "crash" && this.#voice) {
        this.#speech.race.set(model, {
          text: texts[texts.length - 1],
          count: texts.length,
          left: texts.length,
        });
      }
      this.#reportFault({
        kind: "race",
        bytes: hex(new TextEncoder().encode(`SYNTH_START|${second}`).subarray(0, 32)),
        explanation: `two SYNTH_STARTs for model ${model} in one write: MMDAgent-EX's TTS ` +
          "thread races on them (the first may never be spoken, the second spoken twice); send " +
          "the next only after the previous one's SYNTH_EVENT_STOP",
        conn,
      });
    }
  }

  /** Injects a message as if MMDAgent-EX produced it (the user's side: speech, keys, clicks). */
  inject(type: string, args: string | null = null): void {
    if (this.#status === "running") this.#ctx.issue(type, args);
  }

  /** The user picks item `index` of the prompt on screen; false when no prompt is shown. */
  selectPrompt(index: number): boolean {
    return this.#status === "running" && selectPrompt(this.#ctx, this.prompt, index);
  }

  /** Stops every timer. */
  close(): void {
    if (this.#frozen) this.clock.clearTimeout(this.#frozen.thaw);
    this.#frozen = undefined;
    for (const id of this.#timers) this.clock.clearTimeout(id);
    this.#timers.clear();
    if (this.#clockTimer !== undefined) this.clock.clearTimeout(this.#clockTimer);
  }

  #handleParserEvent(ev: ParserEvent): void {
    switch (ev.kind) {
      case "message":
        this.#ctx.issue(ev.type, ev.args);
        break;
      case "avatar":
        avatarLine(this.#ctx, ev.conn, ev.line);
        break;
      case "snd": {
        const st = this.snd.get(ev.conn) ?? { packets: 0, bytes: 0 };
        st.packets++;
        st.bytes += ev.bytes.length;
        st.model = this.shared.avatars.get(ev.conn)?.model;
        this.snd.set(ev.conn, st);
        this.sound.packet(ev.conn, ev.bytes, st.model, this.clock.now());
        break;
      }
      case "sndHeader":
        break;
      case "fault":
        this.#reportFault(ev.fault);
        break;
    }
  }

  #reportFault(f: Fault): void {
    this.faults.push(f);
    this.log.warn(`fault: ${f.kind}: ${f.explanation}`, { bytes: f.bytes, conn: f.conn });
    for (const fn of this.#faultListeners) fn(f);
  }

  #makeContext(): EmuContext {
    const resolve = (p: string) =>
      p.startsWith("/") ? p : `${this.#contentDir}/${p.replace(/^\.\//, "")}`;
    return {
      clock: this.clock,
      log: this.log,
      voice: this.#voice,
      contentDir: this.#contentDir,
      shared: this.shared,
      issue: (type, args = null) => this.#issue(type, args),
      later: (ms, fn) => this.#later(ms, fn),
      cancel: (id) => {
        if (id !== undefined) this.#cancel(id);
      },
      fault: (kind: FaultKind, line: string, explanation: string) => {
        this.#reportFault({ kind, bytes: hex(new TextEncoder().encode(line)), explanation });
        return this.mode === "crash";
      },
      freeze: (ms) => this.#freeze(ms),
      die: (how, afterMs) => {
        if (afterMs && afterMs > 0) this.#later(afterMs, () => this.#die(how));
        else this.#die(how);
      },
      resolve,
      exists: (p) => {
        try {
          return Deno.statSync(resolve(p)).isFile;
        } catch {
          return false;
        }
      },
      readBytes: (p) => {
        try {
          return Deno.readFileSync(resolve(p));
        } catch {
          return undefined;
        }
      },
      pluginEnabled: (name) => this.plugins.get(name) === true,
    };
  }

  #issue(type: string, args: string | null): void {
    if (this.#status !== "running") return;
    this.#queue.push({ type, args, fields: splitFields(args) });
    if (!this.#draining) this.#batch(() => {});
  }

  /** Runs `fn` with draining held, then processes the queue in FIFO order. */
  #batch(fn: () => void): void {
    if (this.#draining) return fn();
    this.#draining = true;
    try {
      fn();
      while (this.#queue.length > 0 && this.#status === "running" && !this.#frozen) {
        this.#process(this.#queue.shift()!);
      }
    } finally {
      this.#draining = false;
      if (this.#status !== "running") this.#queue.length = 0;
    }
  }

  #process(msg: Msg): void {
    if (this.#resumed === msg) this.#resumed = undefined;
    else {
      for (const f of this.#families) {
        if (f.beforeEcho?.(this.#ctx, msg)) return;
      }
      if (this.#frozen) {
        // Frozen before its echo: it is the first thing done when the main thread thaws.
        this.#resumed = msg;
        this.#queue.unshift(msg);
        return;
      }
    }
    if (this.#status !== "running") return;
    if (msg.type !== "") this.#send(msg.type, msg.args);
    this.#handlers.get(msg.type)?.(this.#ctx, msg);
    for (const f of this.#families) f.observe?.(this.#ctx, msg);
  }

  #send(type: string, args: string | null): void {
    // Lines produced while no peer is connected are dropped, not buffered (reference 1.4).
    if (this.#peers.size === 0) return;
    const bytes = formatOutbound(type, args);
    const line = args !== null && args !== "" ? `${type}|${args}` : type;
    if (bytes[bytes.length - 1] !== 0x0a) {
      // The real binary does this to a long text's LIPSYNC_START: the peer gets it glued to the
      // next message, and the mouth stops early.
      this.#reportFault({
        kind: "cut",
        bytes: hex(bytes.subarray(0, 32)),
        explanation:
          `MMDAgent-EX would send a ${type} line of ${
            new TextEncoder().encode(line).length
          } bytes: cut at ${OUTBOUND_MAX} bytes without LF and glued to the next message ` +
          "(for SYNTH_START: keep each text under about 300 characters)",
      });
    }
    for (const fn of this.#outputs) fn(line, bytes);
  }

  #later(ms: number, fn: () => void): TimerId {
    const id = this.clock.setTimeout(() => {
      this.#timers.delete(id);
      if (this.#frozen) this.#frozen.held.push(fn);
      else if (this.#status === "running") this.#batch(fn);
    }, ms);
    this.#timers.add(id);
    return id;
  }

  /**
   * The main thread busy-waits for `ms`: what is queued stays queued, timers that come due are held,
   * and nothing is sent. When it thaws, the held timers run in order, then the queue drains.
   */
  #freeze(ms: number): void {
    if (this.#frozen || this.#status !== "running") return;
    this.log.warn(`simulated freeze: MMDAgent-EX's main thread would answer nothing for ${ms} ms`);
    const frozen = {
      held: [] as (() => void)[],
      thaw: this.clock.setTimeout(() => {
        this.#frozen = undefined;
        if (this.#status !== "running") return;
        this.#batch(() => {
          for (const fn of frozen.held) fn();
        });
      }, ms),
    };
    this.#frozen = frozen;
  }

  #cancel(id: TimerId): void {
    this.clock.clearTimeout(id);
    this.#timers.delete(id);
  }

  #resetIdle(conn: number): void {
    const st = this.#idle.get(conn);
    if (!st) return;
    if (st.timer !== undefined) this.#cancel(st.timer);
    if (st.idle) {
      st.idle = false;
      this.#later(FRAME_MS, () => this.#ctx.issue("AVATAR_EVENT_IDLE", "STOP"));
    }
    st.timer = this.#later(IDLE_MS, () => {
      st.timer = undefined;
      st.idle = true;
      this.#ctx.issue("AVATAR_EVENT_IDLE", "START");
    });
  }

  #hhmm(): string {
    const d = new Date(this.clock.now());
    return `${String(d.getHours()).padStart(2, "0")}|${String(d.getMinutes()).padStart(2, "0")}`;
  }

  #scheduleCurrentTime(): void {
    this.#clockTimer = this.clock.setTimeout(() => {
      this.#clockTimer = undefined;
      if (this.#status !== "running") return;
      this.#ctx.issue("CURRENT_TIME", this.#hhmm());
      this.#scheduleCurrentTime();
    }, CURRENT_TIME_MS);
  }

  #die(how: "crash" | "hang"): void {
    if (this.#status !== "running") return;
    this.#status = how === "crash" ? "dead" : "hung";
    this.log.error(
      how === "crash"
        ? "simulated crash: MMDAgent-EX would have died here"
        : "simulated hang: MMDAgent-EX would stop answering here",
    );
    this.close();
    for (const fn of this.#deathListeners) fn(how);
  }

  #remoteDisabled(): void {
    for (const fn of this.#remoteDisableListeners) fn();
  }
}
