/**
 * `ctx.play`: the bot side of audio (#16). A WAV file is named by its path in the bot's folder and
 * read by the host, so its bytes never cross the bot's IPC pipe; a stream's PCM goes over the pipe
 * in chunks of at most {@link PLAY_CHUNK_BYTES}, with at most {@link PLAY_WINDOW} not yet taken by
 * the host (the host hands a credit back for each chunk its player takes, so a fast producer is
 * held back to the pace of playback plus the host's read-ahead). Conversion, pacing, lip sync and
 * the floor are the host's (`runtime/audio/`).
 */
import { PLAY_CHUNK_BYTES, PLAY_WINDOW, type PlayFormat, type PlayResult } from "./protocol.ts";
import type { BotFeature } from "./context.ts";
import type { FeatureIO } from "./engine.ts";

export type { PlayFormat, PlayResult } from "./protocol.ts";

/** One mora with its lengths in ms (e.g. from VOICEVOX's accent phrases, seconds × 1000). */
export interface PlayMora {
  /** Consonant phone (`k`, `sh`, `ts`, …), absent for a bare vowel. */
  consonant?: string;
  /** Consonant length, ms. */
  consonantMs?: number;
  /** Vowel phone (`a` … `o`, devoiced `A` … `O`, `N`, `cl`, `pau`). */
  vowel: string;
  /** Vowel length, ms. */
  vowelMs: number;
}

/** Options of `ctx.play`. */
export interface PlayOptions {
  /** Layout of a stream's PCM (default 16 kHz, mono, `s16`). Ignored for files. */
  format?: PlayFormat;
  /**
   * `auto` (default): the host sends `LIPSYNC_START` lines from `phones`/`moras` when given, else
   * from the audio's loudness; `binary`: leave the mouth to MMDAgent-EX's own audio-driven lip
   * sync (needs the model's `.shapemap`); `off`: no lip sync.
   */
  lipSync?: "auto" | "binary" | "off";
  /** Phone timings from your TTS, from the audio's start (names of MMDAgent-EX's lip table). */
  phones?: { phone: string; ms: number }[];
  /** Mora timings from your TTS (turned into phones). */
  moras?: PlayMora[];
  /** Most audio ahead of playback, ms (40 to 2000, default 120): how late a stop can be. */
  lookaheadMs?: number;
  /** Place on the floor among this bot's and others' speech (default: the manifest's priority). */
  priority?: number;
  /** Not cut by barge-in or a higher priority, and played even after its turn ended. */
  uninterruptible?: boolean;
  /** Aborting stops the clip (what was sent plays out, at most the lookahead). */
  signal?: AbortSignal;
  /** The turn this answers (default: the turn of the message being handled, when known). */
  turn?: number;
}

/** The audio a bot can play: a WAV path in its folder, or PCM chunks. */
export type PlaySource = string | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** `ctx.play` (see {@link createPlayFeature}). */
export type Play = (
  model: string,
  source: PlaySource,
  options?: PlayOptions,
) => Promise<PlayResult>;

interface Pending {
  resolve(r: PlayResult): void;
  credits: number;
  wake?: () => void;
  done: boolean;
}

function toBase64(bytes: Uint8Array): string {
  const native = (bytes as unknown as { toBase64?: () => string }).toBase64;
  if (native) return native.call(bytes);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function morasToPhones(moras: readonly PlayMora[]): { phone: string; ms: number }[] {
  const out: { phone: string; ms: number }[] = [];
  for (const m of moras) {
    if (m.consonant !== undefined && (m.consonantMs ?? 0) > 0) {
      out.push({ phone: String(m.consonant), ms: Number(m.consonantMs) });
    }
    out.push({ phone: String(m.vowel), ms: Number(m.vowelMs) });
  }
  return out;
}

/**
 * The `play` feature: adds `ctx.play(model, source, options)` and handles `play-credit`/`played`.
 *
 * @example
 * ```ts
 * import { createBot } from "@mmdbot/mmdbot";
 *
 * export default createBot().on("RECOG_EVENT_STOP", async (ctx) => {
 *   // in a handler: speak a WAV shipped in the bot's folder, cut off if the user barges in
 *   const r = await ctx.play("mei", "hello.wav");
 *   if (r.status === "interrupted") ctx.log.info(`cut after ${r.stoppedAtMs} ms by ${r.by}`);
 * });
 * ```
 */
export function createPlayFeature(io: FeatureIO): BotFeature {
  let nextReq = 1;
  const pending = new Map<number, Pending>();

  async function pump(
    req: number,
    p: Pending,
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ) {
    try {
      for await (const chunk of source as AsyncIterable<Uint8Array>) {
        if (p.done) break;
        if (!(chunk instanceof Uint8Array)) {
          throw new TypeError(`ctx.play: stream chunks must be Uint8Array, got ${typeof chunk}`);
        }
        for (let at = 0; at < chunk.length && !p.done; at += PLAY_CHUNK_BYTES) {
          while (p.credits <= 0 && !p.done) await new Promise<void>((r) => (p.wake = r));
          if (p.done) break;
          p.credits--;
          io.post({
            t: "play-chunk",
            req,
            data: toBase64(chunk.subarray(at, Math.min(chunk.length, at + PLAY_CHUNK_BYTES))),
          });
        }
      }
      if (!p.done) io.post({ t: "play-end", req });
    } catch (e) {
      if (!p.done) io.post({ t: "play-stop", req });
      io.reportError("ctx.play stream", e);
    }
  }

  const play = function (
    this: { turn?: unknown } | undefined,
    model: string,
    source: PlaySource,
    options: PlayOptions = {},
  ): Promise<PlayResult> {
    const req = nextReq++;
    const isFile = typeof source === "string";
    if (!isFile && (source === null || typeof source !== "object")) {
      return Promise.reject(
        new TypeError("ctx.play: the source is a WAV path in the bot's folder or PCM chunks"),
      );
    }
    // The handler's turn: `ctx.turn` is the turn handle ({ id, signal, … }) where the host
    // tracks turns; a plain number is taken as the id.
    const t = this?.turn as { id?: unknown } | number | undefined;
    const turn = options.turn ??
      (typeof t === "number" ? t : typeof t?.id === "number" ? t.id : undefined);
    const phones = options.phones ?? (options.moras ? morasToPhones(options.moras) : undefined);
    return new Promise<PlayResult>((resolve) => {
      const p: Pending = { resolve, credits: PLAY_WINDOW, done: false };
      pending.set(req, p);
      io.post({
        t: "play",
        req,
        model: String(model),
        ...(isFile ? { file: source } : {
          format: options.format ?? { sampleRate: 16000, channels: 1, format: "s16" },
        }),
        ...(options.lipSync ? { lipSync: options.lipSync } : {}),
        ...(phones ? { phones } : {}),
        ...(options.lookaheadMs !== undefined ? { lookaheadMs: options.lookaheadMs } : {}),
        ...(options.priority !== undefined ? { priority: Number(options.priority) } : {}),
        ...(options.uninterruptible ? { uninterruptible: true } : {}),
        ...(turn !== undefined ? { turn } : {}),
      });
      const signal = options.signal;
      if (signal) {
        const onAbort = () => {
          if (!p.done) io.post({ t: "play-stop", req });
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      }
      if (!isFile) void pump(req, p, source as AsyncIterable<Uint8Array>);
    });
  };

  return {
    context: { play: play as Play },
    receive: {
      "play-credit": (msg) => {
        if (msg.t !== "play-credit") return;
        const p = pending.get(msg.req);
        if (!p) return;
        p.credits++;
        p.wake?.();
      },
      played: (msg) => {
        if (msg.t !== "played") return;
        const p = pending.get(msg.req);
        if (!p) return;
        pending.delete(msg.req);
        p.done = true;
        p.wake?.();
        p.resolve(msg.result);
      },
    },
  };
}
