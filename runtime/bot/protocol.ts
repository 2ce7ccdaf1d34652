/**
 * The IPC protocol between the host and one bot process: JSON lines on the child's stdin (host →
 * bot) and stdout (bot → host). Plain types only, because the bot process loads no npm code; the
 * host validates everything a bot sends with the zod schemas in `runtime/host/ipc_protocol.ts`.
 *
 * Every host message that runs bot code (`message`, `fire`, `start`, `connected`, `disconnected`,
 * `ping`) carries an `id` the bot answers with `ack` once its handlers have returned or reached
 * their first `await`. The host's watchdog kills a bot that leaves an id unanswered too long.
 *
 * `send` → `sent`: the host answers a success only when the bot looks at the result (`want` on the
 * `send`, or a later `want` message), and a refusal always when the bot has `onError` hooks
 * (`ready.errorHooks`), else only when asked: most bots ignore the promise of a reply line, and
 * each answer costs the bot a wake-up (about 0.2 ms of CPU from idle, measured here), which
 * dominated fanning one message out to many bots. Neither side keeps anything per send nobody
 * looks at (see `runtime/bot/sends.ts` and `runtime/host/send_results.ts`).
 *
 * Adding a message for a new feature: one member in the union below (a comment naming the
 * feature), and its zod object in `botToHostSchema` (`runtime/host/ipc_protocol.ts`) for bot → host
 * messages; the type check there fails until both agree.
 */
import type { PlayResult } from "../audio/result.ts";
import type { Refusal } from "../wire/types.ts";
import type { StoreOp, StoreProblem, StoreResult } from "../store/protocol.ts";
import type { AvatarSnapshot, SpeechResult } from "./define.ts";

/**
 * Longest text (a sent line, a setup line, a log message, in JSON-escaped characters) one message
 * to the host may carry; the host's schemas (`runtime/host/ipc_protocol.ts`) ignore bigger ones.
 */
export const IPC_MAX_TEXT = 64 * 1024;
/** Most setup lines one `setup` message may carry. */
export const IPC_MAX_SETUP_LINES = 200;
/**
 * Highest outbound line limit any configuration allows (`MAX_LINE_BYTES_CEILING` of the wire
 * guard, which the bot process cannot load): a line longer than this is never sent anyway.
 */
export const WIRE_LINE_CEILING = 2000;

/** Echo mark of an incoming line: mmdbot sent it, and who did. */
export interface EchoMark {
  /** The bot that sent the line, or `operator` / another non-bot source. */
  by: string;
}

/** Host → bot. */
export type HostToBot =
  | {
    t: "init";
    name: string;
    /** Absolute path of the author's module. */
    module: string;
    /** `real`: `ctx.now()` reads the wall clock; `virtual`: the host time of the last event. */
    clock: "real" | "virtual";
    /** The bot's timer budget (`budgets.timers`); the bot refuses timers past it. */
    timers?: number;
  }
  | {
    t: "message";
    id: number;
    /** Host clock time of delivery (virtual in tests). */
    now: number;
    line: string;
    type: string;
    fields: string[];
    /** Named arguments from the catalog (`catalog/events.ts` view, with `rest`). */
    args: Record<string, unknown>;
    echo: EchoMark | null;
    connection: string;
    /** On the user's speech (`RECOG_EVENT_*`): its turn (0 before the first); handlers act in it. */
    turn?: number;
  }
  | { t: "fire"; id: number; now: number; timer: number }
  | { t: "start"; id: number; now: number }
  | { t: "connected"; id: number; now: number; connection: string }
  | { t: "disconnected"; id: number; now: number }
  | { t: "ping"; id: number }
  /**
   * A setup line of the bot failed the host's checks (when set, or at a re-check after the
   * connection changed): the bot's `onError` hooks get a `RefusedError`.
   */
  | { t: "setup-refused"; id: number; now: number; line: string; refusal: Refusal }
  | { t: "stop"; now: number }
  /**
   * Timer budget (with bounds, #13): the host refused to arm a timer (its backstop; the bot counts
   * first). The bot settles what waits on it: `sleep`/`waitFor` reject, `after`/`every` → onError.
   */
  | { t: "timer-refused"; timer: number; refusal: Refusal }
  // Audio (#16, runtime/bot/play.ts): the host took one stream chunk (the bot may send another),
  // and how a clip ended.
  | { t: "play-credit"; req: number }
  | { t: "played"; req: number; result: PlayResult }
  /** `status`: `written`, `queued`, `dropped`, or `unknown` when asked too late (see the host). */
  | { t: "sent"; req: number; ok: true; status: string }
  | {
    t: "sent";
    req: number;
    ok: false;
    refusal: Refusal;
    /** The same refusal answers every request from `req` to `to` (a flood: one message, not many). */
    to?: number;
  }
  /** Store (llm, #15): the answer to the bot's `store` request `req`. */
  | { t: "stored"; req: number; ok: true; result: StoreResult }
  | { t: "stored"; req: number; ok: false; error: StoreProblem }
  /**
   * LLM (llm, #15): the test kit's scripted stream for request `req`: the status first, then body
   * text chunks, then `end` (with `error` when the script fails the stream).
   */
  | { t: "llm-data"; req: number; status?: number; chunk?: string; end?: boolean; error?: string }
  /** A turn is over (the user spoke again, a false interruption, a disconnect): its signal aborts. */
  | { t: "turn-ended"; id: number; now: number; turn: number; by: string }
  /** How a `speak` or `stream` request ended. */
  | { t: "spoken"; req: number; result: SpeechResult }
  /** The answer to `avatar-get`. */
  | { t: "avatar"; req: number; state: AvatarSnapshot };

/** Where a load failure or handler error happened in the author's code. */
export interface ErrorReport {
  message: string;
  name: string;
  stack?: string;
}

/** Bot → host. */
export type BotToHost =
  | {
    t: "ready";
    types: string[];
    /** The bot has `onError` hooks: refusals of sends it did not look at are worth answering. */
    errorHooks?: boolean;
  }
  | { t: "load-error"; error: ErrorReport }
  | { t: "ack"; id: number }
  | {
    t: "send";
    req: number;
    line: string;
    /** The bot already looks at the result: answer success too. */
    want?: boolean;
    /** The turn of the handler that sent it: refused once that turn is over. */
    turn?: number;
  }
  /** `ctx.speak`: the host splits, queues and speaks it on the model's floor, then answers `spoken`. */
  | {
    t: "speak";
    req: number;
    model: string;
    voice: string;
    text: string;
    turn?: number;
    priority?: number;
    uninterruptible?: boolean;
  }
  /**
   * `ctx.speakStream`: the first message of a `req` (with `model` and `voice`) opens the stream,
   * later ones add `chunk`s, `end` closes it; the host segments and answers `spoken` once.
   */
  | {
    t: "stream";
    req: number;
    model?: string;
    voice?: string;
    turn?: number;
    priority?: number;
    uninterruptible?: boolean;
    firstChunkAtComma?: number;
    chunk?: string;
    end?: boolean;
  }
  /** Stops a `speak` or `stream` request (its signal aborted). */
  | { t: "speak-cancel"; req: number }
  /** `ctx.avatar()`: asks for the mirrored avatar state. */
  | { t: "avatar-get"; req: number }
  /** The bot now looks at the result of an earlier `send`: answer it (success included). */
  | { t: "want"; req: number }
  | { t: "setup"; lines: string[] }
  | { t: "timer-set"; timer: number; ms: number; repeat: boolean }
  | { t: "timer-clear"; timer: number }
  | { t: "log"; level: "debug" | "info" | "warn" | "error"; msg: string }
  | { t: "error"; where: string; error: ErrorReport }
  | { t: "stopped" }
  /** Store (llm, #15): one request to the bot's own store (`ctx.store`), answered by `stored`. */
  | { t: "store"; req: number; op: StoreOp }
  /** LLM (llm, #15): a completion request to the test kit's scripted stream (`body` is its JSON). */
  | { t: "llm-open"; req: number; body: string }
  /** LLM (llm, #15): the bot stopped reading request `req` (abort, timeout, error). */
  | { t: "llm-cancel"; req: number }
  // Audio (#16, runtime/bot/play.ts): play a WAV from the bot's folder (`file`) or a PCM stream
  // (`format`, then `play-chunk`s of base64 PCM, at most PLAY_WINDOW unanswered, then `play-end`).
  | {
    t: "play";
    req: number;
    model: string;
    file?: string;
    format?: PlayFormat;
    lipSync?: "auto" | "binary" | "off";
    phones?: { phone: string; ms: number }[];
    lookaheadMs?: number;
    priority?: number;
    uninterruptible?: boolean;
    turn?: number;
  }
  | { t: "play-chunk"; req: number; data: string }
  | { t: "play-end"; req: number }
  | { t: "play-stop"; req: number };

/** Stream chunks a bot may have sent and the host not yet taken (credit window). */
export const PLAY_WINDOW = 4;
/** Most PCM bytes in one `play-chunk` (base64 makes it 4/3 as long, well under the IPC limit). */
export const PLAY_CHUNK_BYTES = 32 * 1024;

/** Raw PCM layout of a stream (little-endian samples, interleaved channels). */
export interface PlayFormat {
  /** Frames per second, 1000 to 384000. */
  sampleRate: number;
  /** Interleaved channels, 1 to 8 (mixed down to mono by the host). */
  channels: number;
  /** Sample encoding: unsigned 8-bit, signed 16/24/32-bit, or 32/64-bit float. */
  format: "u8" | "s16" | "s24" | "s32" | "f32" | "f64";
}

export type { PlayResult } from "../audio/result.ts";
