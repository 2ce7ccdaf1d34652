/**
 * The host's audio service: plays a bot's WAV file or PCM stream on the avatar as paced `SND`
 * audio, as one utterance on the speech floor.
 *
 * - **The floor.** Each clip claims the floor of its model (the conversation room's `claimAudio`):
 *   one utterance at a time per model, attributed to its bot, stopped by barge-in and by its turn's
 *   end through the grant's signal. A stop ends the sending at once; what was sent plays out (at
 *   most the lookahead) and the floor moves on after it.
 * - **One avatar controller per connection.** MMDAgent-EX plays SND audio through the connection's
 *   avatar controller, bound to one model at a time (`__AV_SETMODEL`), so two clips can never play
 *   at once on one connection, whatever their models: clips also take this service's connection
 *   lock, in order. Before a clip the service sends what the controller needs, once per connection
 *   or when it changes: `__AV_START`, `__AV_SETMODEL,<model>`, and `__AVCONF_DISABLEAUTOLIP,ALWAYS`
 *   while our `LIPSYNC_START` lines drive the mouth (`NO` for `lipSync: "binary"`, which leaves the
 *   mouth to the binary's own audio-driven lip sync; it needs the model's `.shapemap`).
 * - **Files are read by the host** from the bot's folder (the bot names a path inside it), so audio
 *   never crosses the bot's 64 KiB IPC pipe; they are decoded at once (errors before the floor is
 *   claimed) and converted slice by slice while playing, so a long file never blocks the host.
 * - **Disconnect.** A clip playing when the connection drops stops (status `interrupted`, by
 *   `disconnect`): audio queued for a later connection would play out of place.
 * - **A new connection's first seconds.** The real binary plays no SND audio until about 2.1 s
 *   after a peer connected, and what arrives before is not dropped but played late (see
 *   {@link SND_STARTUP_HOLD_MS}), so a clip then holds its first packet (floor taken, nothing
 *   sent, still stoppable) until `startupHoldMs` after the connection.
 */
import type { Clock } from "../clock/clock.ts";
import type { Logger } from "../log/logger.ts";
import type { Refusal, WireUnit } from "../wire/types.ts";
import { createSndConverter, type PcmFormat, pcmFormatProblem, SND_RATE } from "./convert.ts";
import { type LipPhone, lipPhonesProblem } from "./lipsync.ts";
import { floatToS16le, mixDown } from "./pcm.ts";
import { type PlayerResult, playSnd } from "./player.ts";
import { createResampler } from "./resample.ts";
import { type DecodedWav, decodeWav, WavError } from "./wav.ts";
import type { PlayResult } from "./result.ts";

/** How a clip ended, as the bot sees it (`ctx.play`'s result). */
export type PlayOutcome = PlayResult;

/** Largest WAV file the host reads for a bot (about 9 minutes of 48 kHz stereo 16-bit). */
export const MAX_WAV_BYTES = 100 * 1024 * 1024;
/**
 * How long after a connection MMDAgent-EX's SND audio first plays, with margin (2.1 s measured).
 * Against the real binary (tests/audio/real_binary_test.ts, the kit's PulseAudio sink, 2 cores)
 * a clip whose first packet went out 0.33 / 0.40 / 1.48 s after connecting was heard from 2.13 /
 * 2.16 / 2.09 s after it, i.e. 1.8 / 1.8 / 0.6 s late; one sent at 2.8 s was heard 41 ms after its
 * first packet. Nothing on the wire tells when it is ready. Audio sent early is not lost but piles
 * up ahead of playback: a stop then no longer means stop, and the sender's model of playback (the
 * floor's end of the clip) runs up to 1.8 s ahead of the sound.
 */
export const SND_STARTUP_HOLD_MS = 2500;
/** Longest a stream may claim the floor before it is ended. */
export const MAX_STREAM_MS = 10 * 60_000;

/** A floor claim, as the conversation room's `claimAudio` takes it. */
export interface FloorClaim {
  model: string;
  owner: string;
  turn?: number;
  label?: string;
  maxMs?: number;
  priority?: number;
  uninterruptible?: boolean;
  start(grant: { signal: AbortSignal }): void;
}

/** How the floor ended an utterance (a subset of the conversation room's `SpeechResult`). */
export interface FloorResult {
  status: string;
  by?: string;
  bot?: string;
  reason?: string;
}

/** The handle `claimAudio` returns. */
export interface FloorHandle {
  readonly result: Promise<FloorResult>;
  finish(r: { status: "finished" | "interrupted"; playedMs: number }): void;
  cancel(): void;
}

/** Where the audio comes from. */
export type AudioSource =
  | { kind: "file"; path: string; label?: string }
  | { kind: "stream"; format: PcmFormat; chunks: AsyncIterable<Uint8Array> };

/** One clip to play. */
export interface PlayRequest {
  /** The bot (attribution, echo marks, floor owner). */
  owner: string;
  /** Model alias the audio speaks for. */
  model: string;
  /** The turn the bot answers (the floor refuses a clip for a turn that is over). */
  turn?: number;
  source: AudioSource;
  /** `auto` (default): our lip sync from `phones` or the loudness; `binary`: MMDAgent-EX's; `off`. */
  lipSync?: "auto" | "binary" | "off";
  phones?: readonly LipPhone[];
  lookaheadMs?: number;
  /** Place on the floor (default: the bot's manifest priority). */
  priority?: number;
  /** Not cut by barge-in or priority, and played even after its turn ended. */
  uninterruptible?: boolean;
  /** The bot's own stop. */
  signal?: AbortSignal;
}

/** What the service needs from the host. */
export interface AudioServiceDeps {
  clock: Clock;
  log: Logger;
  /** Writes one SND unit for `owner`; rejects when the connection cannot take it. */
  writeSnd(unit: WireUnit, owner: string): Promise<void>;
  /** Sends a line for `owner` through the guard (not the bot's rate limit); a refusal or undefined. */
  sendLine(line: string, owner: string): Promise<Refusal | undefined>;
  /** The speech floor; without one, clips simply play one after another. */
  claimAudio?: (c: FloorClaim) => FloorHandle;
  /** The outbound line limit. */
  maxLineBytes(): number;
  /**
   * A clip waits with its first packet until this long after the connection came up (default 0;
   * {@link SND_STARTUP_HOLD_MS} against the real binary).
   */
  startupHoldMs?: number;
}

/** The service (see the module documentation). */
export interface AudioService {
  /** Plays one clip; never rejects. */
  play(req: PlayRequest): Promise<PlayOutcome>;
  /** A connection is up: the avatar controller is new. */
  connected(): void;
  /** The connection dropped: clips stop. */
  disconnected(): void;
  /** Stops every clip of `owner` (the bot stopped or restarted). */
  stopOwner(owner: string): void;
  /** Clips playing now. */
  readonly playing: number;
}

/** Resolves `file` inside `dir`, refusing anything that leaves it (also through symlinks). */
export async function resolveInside(dir: string, file: string): Promise<string | Refusal> {
  const refusal = (reason: string): Refusal => ({
    code: "audio-path",
    reason,
    fix: 'name a WAV file inside the bot\'s folder, e.g. ctx.play(model, "hello.wav")',
  });
  if (file === "" || file.includes("\0")) return refusal("the file name is empty");
  if (file.startsWith("/") || /^[A-Za-z]:[\\/]/.test(file)) {
    return refusal(`${file} is an absolute path; audio files come from the bot's own folder`);
  }
  let root: string;
  let real: string;
  try {
    root = await Deno.realPath(dir);
    real = await Deno.realPath(`${root}/${file}`);
  } catch {
    return { ...refusal(`no file ${file} in the bot's folder`), code: "audio-missing" };
  }
  if (real !== root && !real.startsWith(root.endsWith("/") ? root : root + "/")) {
    return refusal(`${file} is outside the bot's folder`);
  }
  return real;
}

/** Converts a decoded file slice by slice (200 ms of input each), so no call blocks for long. */
async function* fileChunks(wav: DecodedWav): AsyncGenerator<Uint8Array> {
  const mono = mixDown(wav.samples, wav.channels);
  const rs = createResampler(wav.sampleRate, SND_RATE);
  const step = Math.max(1, Math.round(wav.sampleRate / 5));
  for (let at = 0; at < mono.length; at += step) {
    const out = rs.push(mono.subarray(at, Math.min(mono.length, at + step)));
    if (out.length) yield floatToS16le(out);
    await Promise.resolve();
  }
  const tail = rs.end();
  if (tail.length) yield floatToS16le(tail);
}

async function* streamChunks(
  format: PcmFormat,
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const conv = createSndConverter(format);
  for await (const c of chunks) {
    const out = conv.push(c);
    if (out.length) yield out;
  }
  const tail = conv.end();
  if (tail.length) yield tail;
}

/**
 * Creates the service.
 *
 * @example
 * const audio = createAudioService({ clock, log, writeSnd, sendLine, claimAudio, maxLineBytes });
 * const r = await audio.play({ owner: "speaker", model: "mei", source: { kind: "file", path } });
 */
export function createAudioService(d: AudioServiceDeps): AudioService {
  const log = d.log;
  let online = false;
  let connectedAt = 0;
  // The connection's avatar controller: what it was told so far.
  let av: { started: boolean; model?: string; autolip?: string } = { started: false };
  let lock: Promise<unknown> = Promise.resolve();
  const active = new Map<AbortController, string>();
  // Without a floor: one clip at a time, in order.
  let localQueue: Promise<unknown> = Promise.resolve();

  const claim = (c: FloorClaim): FloorHandle => {
    if (d.claimAudio) return d.claimAudio(c);
    let resolve!: (r: FloorResult) => void;
    const result = new Promise<FloorResult>((r) => (resolve = r));
    const abort = new AbortController();
    let finished = false;
    localQueue = localQueue.then(() => {
      if (finished) return;
      c.start({ signal: abort.signal });
      return result;
    });
    return {
      result,
      finish(r) {
        finished = true;
        resolve({ status: r.status });
      },
      cancel() {
        abort.abort({ by: "stop" });
        if (!finished) {
          finished = true;
          resolve({ status: "interrupted", by: "stop" });
        }
      },
    };
  };

  /** Sends what the avatar controller needs for this clip; a refusal when a line was refused. */
  const prepare = async (
    owner: string,
    model: string,
    lip: string,
  ): Promise<Refusal | undefined> => {
    const want: string[] = [];
    if (!av.started) want.push("__AV_START");
    if (av.model !== model) want.push(`__AV_SETMODEL,${model}`);
    const autolip = lip === "binary" ? "NO" : "ALWAYS";
    if (av.autolip !== autolip && !(av.autolip === undefined && autolip === "NO")) {
      want.push(`__AVCONF_DISABLEAUTOLIP,${autolip}`);
    }
    for (const line of want) {
      const no = await d.sendLine(line, owner);
      if (no) return no;
    }
    av = { started: true, model, autolip };
    return undefined;
  };

  const play = async (req: PlayRequest): Promise<PlayOutcome> => {
    const refused = (reason: string, by = "audio"): PlayOutcome => {
      log.warn(`refused audio from ${req.owner}: ${reason}`, { bot: req.owner });
      return { status: "refused", playedMs: 0, by, reason };
    };
    if (typeof req.model !== "string" || req.model === "" || /[,|\r\n\0]/.test(req.model)) {
      return refused(`model alias ${JSON.stringify(req.model)} is empty or contains , | CR LF`);
    }
    const lip = req.lipSync ?? "auto";
    if (req.phones) {
      const p = lipPhonesProblem(req.phones);
      if (p) return refused(p);
    }
    const look = req.lookaheadMs ?? 120;
    if (!Number.isFinite(look) || look < 40 || look > 2000) {
      return refused(`lookaheadMs must be 40 to 2000 ms, got ${look}`);
    }
    let chunks: AsyncIterable<Uint8Array>;
    let durationMs: number | undefined;
    const src = req.source;
    if (src.kind === "file") {
      let bytes: Uint8Array;
      try {
        const info = await Deno.stat(src.path);
        if (info.size > MAX_WAV_BYTES) {
          return refused(
            `${src.label ?? src.path} is ${info.size} bytes; at most ${MAX_WAV_BYTES}`,
          );
        }
        bytes = await Deno.readFile(src.path);
      } catch (e) {
        return refused(
          `cannot read ${src.label ?? src.path}: ${e instanceof Error ? e.message : e}`,
        );
      }
      let wav: DecodedWav;
      try {
        wav = decodeWav(bytes, src.label ?? src.path);
      } catch (e) {
        if (e instanceof WavError) return refused(e.message);
        throw e;
      }
      durationMs = wav.durationMs;
      chunks = fileChunks(wav);
    } else {
      const p = pcmFormatProblem(src.format);
      if (p) return refused(p);
      chunks = streamChunks(src.format, src.chunks);
    }
    if (!online) {
      return refused("not connected to MMDAgent-EX: the audio would be lost", "disconnect");
    }
    if (req.signal?.aborted) return { status: "interrupted", playedMs: 0, by: "stop" };

    let played: PlayerResult | undefined;
    let failure: string | undefined;
    let ran: Promise<unknown> | undefined;
    const abort = new AbortController();
    const handle = claim({
      model: req.model,
      owner: req.owner,
      turn: req.turn,
      label: src.kind === "file" ? (src.label ?? "audio") : "audio stream",
      maxMs: durationMs !== undefined ? durationMs + 5000 : MAX_STREAM_MS,
      ...(req.priority !== undefined ? { priority: req.priority } : {}),
      ...(req.uninterruptible ? { uninterruptible: true } : {}),
      start(grant) {
        const onGrantAbort = () => abort.abort(grant.signal.reason);
        if (grant.signal.aborted) onGrantAbort();
        grant.signal.addEventListener("abort", onGrantAbort, { once: true });
        const run = lock.then(async () => {
          try {
            if (abort.signal.aborted) {
              handle.finish({ status: "interrupted", playedMs: 0 });
              return;
            }
            const no = await prepare(req.owner, req.model, lip);
            if (no) {
              failure = `the avatar controller refused ${no.code}: ${no.reason}`;
              handle.finish({ status: "interrupted", playedMs: 0 });
              return;
            }
            active.set(abort, req.owner);
            const hold = connectedAt + (d.startupHoldMs ?? 0) - d.clock.now();
            if (hold > 0) {
              try {
                await d.clock.sleep(hold, abort.signal);
              } catch {
                handle.finish({ status: "interrupted", playedMs: 0 });
                return;
              }
            }
            played = await playSnd(chunks, {
              clock: d.clock,
              writeSnd: (unit) => {
                if (!online) return Promise.reject(new Error("the connection dropped"));
                return d.writeSnd(unit, req.owner);
              },
              sendLine: async (type, args) => {
                await d.sendLine(`${type}|${args}`, req.owner);
              },
            }, {
              model: req.model,
              lookaheadMs: look,
              lipSync: lip === "auto" ? "auto" : "off",
              phones: req.phones,
              maxLineBytes: d.maxLineBytes(),
              signal: abort.signal,
            });
            handle.finish({
              status: played.status === "finished" ? "finished" : "interrupted",
              playedMs: played.playedMs,
            });
          } catch (e) {
            failure = e instanceof Error ? e.message : String(e);
            handle.finish({ status: "interrupted", playedMs: played?.playedMs ?? 0 });
          } finally {
            active.delete(abort);
            grant.signal.removeEventListener("abort", onGrantAbort);
          }
        });
        ran = lock = run.catch(() => {});
      },
    });
    const onStop = () => {
      abort.abort({ by: "stop" });
      handle.cancel();
    };
    req.signal?.addEventListener("abort", onStop, { once: true });
    const floor = await handle.result;
    req.signal?.removeEventListener("abort", onStop);
    if (ran) await ran; // the clip's tail has played and its lines are out
    const reason = (abort.signal.reason as { by?: string } | undefined)?.by;
    if (floor.status === "refused") {
      return { status: "refused", playedMs: 0, by: floor.by, bot: floor.bot, reason: floor.reason };
    }
    if (failure || played?.status === "failed") {
      const why = failure ?? played?.error?.message ?? "unknown";
      log.warn(`audio of ${req.owner} failed: ${why}`, { bot: req.owner });
      return { status: "failed", playedMs: played?.playedMs ?? 0, reason: why, durationMs };
    }
    const by = reason ?? floor.by ?? "stop";
    const bot = floor.bot ? { bot: floor.bot } : {};
    if (!played) return { status: "interrupted", playedMs: 0, by, ...bot, durationMs };
    if (played.status === "finished") {
      return { status: "finished", playedMs: played.playedMs, durationMs };
    }
    return {
      status: "interrupted",
      playedMs: played.playedMs,
      stoppedAtMs: played.stoppedAtMs,
      durationMs,
      by,
      ...bot,
    };
  };

  return {
    play: (req) =>
      play(req).catch((e) => ({
        status: "failed" as const,
        playedMs: 0,
        reason: e instanceof Error ? e.message : String(e),
      })),
    connected() {
      online = true;
      connectedAt = d.clock.now();
      av = { started: false };
    },
    disconnected() {
      online = false;
      av = { started: false };
      for (const a of active.keys()) a.abort({ by: "disconnect" });
    },
    stopOwner(owner) {
      for (const [a, o] of active) if (o === owner) a.abort({ by: "stop" });
    },
    get playing() {
      return active.size;
    },
  };
}
