/**
 * The host's end of `ctx.play` (#16): turns a bot's `play`, `play-chunk`, `play-end` and
 * `play-stop` messages into clips of the audio service (`runtime/audio/service.ts`) and answers
 * with `play-credit` (one per chunk the player took) and `played`.
 *
 * A bot process is untrusted: a file must resolve inside the bot's folder (symlinks included); a
 * bot that sends more than `PLAY_WINDOW` chunks ahead of its credits, bad base64, chunks of a clip
 * it never started or more than {@link MAX_PLAYS} clips at once has that clip stopped and refused,
 * and the host holds at most `PLAY_WINDOW` chunks (128 KiB) per clip.
 */
import type { Logger } from "../log/logger.ts";
import { type BotToHost, type HostToBot, PLAY_CHUNK_BYTES, PLAY_WINDOW } from "../bot/protocol.ts";
import { type AudioService, resolveInside } from "../audio/service.ts";
import type { SampleFormat } from "../audio/pcm.ts";

/** Clips one bot may have asked for and not yet heard the end of. */
export const MAX_PLAYS = 8;

type PlayMsg = Extract<BotToHost, { t: "play" | "play-chunk" | "play-end" | "play-stop" }>;

/** One bot's audio requests. */
export interface BotAudio {
  /** Handles a bot message if it is one of audio's; returns whether it was. */
  handle(msg: BotToHost): boolean;
  /** The bot's process is gone: its clips stop. */
  gone(): void;
}

interface Clip {
  stop: AbortController;
  chunks: Uint8Array[];
  ended: boolean;
  /** Chunks received and not yet taken by the player. */
  held: number;
  wake?: () => void;
}

function fromBase64(s: string): Uint8Array | undefined {
  try {
    const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array })
      .fromBase64;
    if (native) return native(s);
    const bin = atob(s);
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/**
 * The audio requests of bot `name`, whose folder is `dir`; `post` writes to its process.
 *
 * @example
 * const audio = botAudio(service, "speaker", spec.dir, (m) => instance.post(m), log);
 * // in the instance's onFeature: audio.handle(msg)
 */
export function botAudio(
  service: AudioService,
  name: string,
  dir: string,
  post: (msg: HostToBot) => void,
  log: Logger,
): BotAudio {
  const clips = new Map<number, Clip>();
  const answered = new Set<number>();

  const finish = (req: number, result: Extract<HostToBot, { t: "played" }>["result"]) => {
    clips.delete(req);
    if (answered.has(req)) return;
    answered.add(req);
    if (answered.size > 1000) answered.delete(answered.values().next().value!);
    post({ t: "played", req, result });
  };

  const refuse = (req: number, reason: string) => {
    log.warn(`refused audio from ${name}: ${reason}`, { bot: name });
    const c = clips.get(req);
    c?.stop.abort({ by: "audio" });
    finish(req, { status: "refused", playedMs: 0, by: "audio", reason });
  };

  async function* chunksOf(req: number, c: Clip): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        while (c.chunks.length === 0 && !c.ended && !c.stop.signal.aborted) {
          await new Promise<void>((r) => (c.wake = r));
          c.wake = undefined;
        }
        if (c.stop.signal.aborted) return;
        const next = c.chunks.shift();
        if (next === undefined) return; // ended and drained
        c.held--;
        post({ t: "play-credit", req });
        yield next;
      }
    } finally {
      c.chunks = [];
    }
  }

  const start = (msg: Extract<PlayMsg, { t: "play" }>) => {
    const req = msg.req;
    if (clips.has(req) || answered.has(req)) return refuse(req, `request ${req} is already used`);
    if (clips.size >= MAX_PLAYS) {
      return finish(req, {
        status: "refused",
        playedMs: 0,
        by: "audio",
        reason: `${MAX_PLAYS} clips are already waiting or playing for this bot`,
      });
    }
    const c: Clip = { stop: new AbortController(), chunks: [], ended: false, held: 0 };
    clips.set(req, c);
    const common = {
      owner: name,
      model: msg.model,
      turn: msg.turn,
      lipSync: msg.lipSync,
      phones: msg.phones,
      lookaheadMs: msg.lookaheadMs,
      priority: msg.priority,
      uninterruptible: msg.uninterruptible,
      signal: c.stop.signal,
    };
    const run = async () => {
      if (msg.file !== undefined) {
        const path = await resolveInside(dir, msg.file);
        if (typeof path !== "string") return refuse(req, `${path.reason} (fix: ${path.fix})`);
        return await service.play({ ...common, source: { kind: "file", path, label: msg.file } });
      }
      const format = msg.format ?? { sampleRate: 16000, channels: 1, format: "s16" as const };
      return await service.play({
        ...common,
        source: {
          kind: "stream",
          format: { ...format, format: format.format as SampleFormat },
          chunks: chunksOf(req, c),
        },
      });
    };
    run().then(
      (r) => r && finish(req, r),
      (e) => finish(req, { status: "failed", playedMs: 0, reason: String(e) }),
    );
  };

  return {
    handle(msg) {
      switch (msg.t) {
        case "play":
          start(msg);
          return true;
        case "play-chunk": {
          const c = clips.get(msg.req);
          if (!c || c.ended) return true; // a late chunk of a clip already over: nothing to do
          const bytes = fromBase64(msg.data);
          if (!bytes || bytes.length > PLAY_CHUNK_BYTES) {
            refuse(msg.req, "a stream chunk is not base64 of at most 32 KiB");
            return true;
          }
          if (c.held >= PLAY_WINDOW) {
            refuse(msg.req, `the bot sent more than ${PLAY_WINDOW} chunks ahead of its credits`);
            return true;
          }
          c.held++;
          c.chunks.push(bytes);
          c.wake?.();
          return true;
        }
        case "play-end": {
          const c = clips.get(msg.req);
          if (c) {
            c.ended = true;
            c.wake?.();
          }
          return true;
        }
        case "play-stop": {
          const c = clips.get(msg.req);
          if (c) {
            c.stop.abort({ by: "stop" });
            c.wake?.();
          }
          return true;
        }
        default:
          return false;
      }
    },
    gone() {
      for (const c of clips.values()) {
        c.stop.abort({ by: "stop" });
        c.wake?.();
      }
      clips.clear();
    },
  };
}
