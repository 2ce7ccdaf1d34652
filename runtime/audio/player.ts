/**
 * Plays one utterance of 16 kHz mono s16le PCM as paced `SND` packets, with lip sync, so that a
 * stop means stop: the binary cannot recall audio it has (speech.md section 6), so at most
 * `lookaheadMs` of audio is ever ahead of playback, and a stop ends the sending at once.
 *
 * - **Pacing.** A packet of d ms is sent when the audio ahead of playback (see `playback.ts`) is at
 *   most `lookaheadMs - d`: with the defaults (120 ms, 40 ms packets) three packets go at once and
 *   then one every 40 ms, each timed from the playback model on the host's clock, so a late timer
 *   does not accumulate drift.
 * - **Read-ahead.** The source is read up to `readAheadMs` beyond what is sent (held in the host,
 *   never sent early), so lip sync can see the audio before it plays; a stop drops it.
 * - **Lip sync.** From given phone timings or the loudness envelope, one `LIPSYNC_START` per
 *   segment of at most 2 s, sent when the segment starts playing, at most one per 200 ms (the binary
 *   holds a segment's last phone for 200 ms, which bridges to the next). A stop sends
 *   `LIPSYNC_STOP|<model>` when the last sent audio has played.
 * - **End.** Resolves when everything sent has played (by the model), with how it ended and how many
 *   ms played; an interrupted utterance resolves after its tail (at most the lookahead).
 */
import type { Clock, TimerId } from "../clock/clock.ts";
import { DEFAULT_SND_CHUNK_BYTES, encodeSnd, PCM_BYTES_PER_MS } from "../wire/snd.ts";
import type { WireUnit } from "../wire/types.ts";
import {
  createEnvelope,
  createTimeline,
  type LipPhone,
  lipPhonesProblem,
  lipsyncArgs,
  MAX_SEGMENT_MS,
} from "./lipsync.ts";
import { createPlayback } from "./playback.ts";

/** Default most audio ahead of playback, in ms. */
export const DEFAULT_LOOKAHEAD_MS = 120;
/** Default audio read from the source beyond what is sent, in ms. */
export const DEFAULT_READ_AHEAD_MS = 1000;
/** Shortest gap between two `LIPSYNC_START` lines of one utterance. */
export const LIP_MIN_GAP_MS = 200;

/** What the player needs from the host. */
export interface PlayerIo {
  /** The host's clock (virtual in tests). */
  clock: Clock;
  /** Writes one SND packet toward MMDAgent-EX; resolves when written. */
  writeSnd(unit: WireUnit): Promise<void>;
  /** Sends one command line (LIPSYNC_START/LIPSYNC_STOP) through the host's outbound path. */
  sendLine(type: string, args: string): Promise<void>;
}

/** How to play. */
export interface PlayerOptions {
  /** Model alias the audio speaks for (lip-sync lines name it). */
  model: string;
  /** Most audio ahead of playback, ms (at least one packet). Default 120. */
  lookaheadMs?: number;
  /** Source audio read ahead of sending, ms. Default 1000. */
  readAheadMs?: number;
  /** Payload bytes per packet (even). Default 1280 (40 ms). */
  chunkBytes?: number;
  /** `auto` (default): from `phones` when given, else from the loudness; `off`: none. */
  lipSync?: "auto" | "off";
  /** Phone timings from the TTS, from the audio's start. */
  phones?: readonly LipPhone[];
  /** Longest line toward MMDAgent-EX (the runtime's outbound limit). Default 1800. */
  maxLineBytes?: number;
  /** Aborting stops sending at once (barge-in, the turn's signal, the bot's own stop). */
  signal?: AbortSignal;
}

/** How an utterance ended. */
export interface PlayerResult {
  /** `finished`: all audio played; `interrupted`: stopped by the signal; `failed`: see `error`. */
  status: "finished" | "interrupted" | "failed";
  /** Audio that played, ms (everything sent plays: the tail after a stop included). */
  playedMs: number;
  /** Playback position when the stop came (interrupted only). */
  stoppedAtMs?: number;
  /** Packets written. */
  packets: number;
  /** Lip-sync lines sent. */
  lipLines: number;
  /** The source's or the connection's error (failed only). */
  error?: Error;
}

/** Validates options; returns the problem in words, or undefined. */
export function playerOptionsProblem(o: PlayerOptions): string | undefined {
  const chunk = o.chunkBytes ?? DEFAULT_SND_CHUNK_BYTES;
  const look = o.lookaheadMs ?? DEFAULT_LOOKAHEAD_MS;
  if (!Number.isFinite(look) || look < chunk / PCM_BYTES_PER_MS) {
    return `lookaheadMs must be at least one packet (${chunk / PCM_BYTES_PER_MS} ms), got ${look}`;
  }
  if (o.phones) return lipPhonesProblem(o.phones);
  return undefined;
}

/**
 * Plays `source` (16 kHz mono s16le chunks of any size). Never rejects: failures resolve with
 * `status: "failed"`. Throws a `RangeError` synchronously for bad options.
 *
 * @example
 * const r = await playSnd([pcm], { clock, writeSnd, sendLine }, { model: "mei" });
 * r.status; // "finished"
 */
export function playSnd(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  io: PlayerIo,
  options: PlayerOptions,
): Promise<PlayerResult> {
  const problem = playerOptionsProblem(options);
  if (problem) throw new RangeError(problem);
  return run(source, io, options);
}

async function run(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  io: PlayerIo,
  o: PlayerOptions,
): Promise<PlayerResult> {
  const { clock } = io;
  const chunk = o.chunkBytes ?? DEFAULT_SND_CHUNK_BYTES;
  const lookahead = o.lookaheadMs ?? DEFAULT_LOOKAHEAD_MS;
  const readAheadBytes = Math.max(
    chunk,
    (o.readAheadMs ?? DEFAULT_READ_AHEAD_MS) * PCM_BYTES_PER_MS,
  );
  const maxLine = o.maxLineBytes ?? 1800;
  const signal = o.signal;
  const pb = createPlayback();
  const timeline = createTimeline();
  const lipOn = (o.lipSync ?? "auto") !== "off";
  const envelope = lipOn && !o.phones ? createEnvelope() : undefined;
  if (lipOn && o.phones) timeline.add(o.phones);

  // Source read into `pending`, at most readAheadBytes beyond what is sent.
  const pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let sourceDone = false;
  let sourceError: Error | undefined;
  let wake: (() => void) | undefined;
  let space: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const iterator = Symbol.asyncIterator in source
    ? (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
    : (source as Iterable<Uint8Array>)[Symbol.iterator]();
  const stopped = () => signal?.aborted === true;
  const onAbort = () => {
    notify();
    space?.();
    // A source blocked in next() (a bot's stream) is told to end now, not at its next chunk.
    void Promise.resolve(iterator.return?.()).catch(() => {});
  };
  signal?.addEventListener("abort", onAbort, { once: true });

  // Until the first packets are out, read only what they need: converting the whole read-ahead
  // first (a cold resampler takes tens of ms for a second of audio) would hold them back.
  const burstBytes = Math.ceil(lookahead * PCM_BYTES_PER_MS / chunk) * chunk;
  let burstSent = false;
  const readLimit = () => (burstSent ? readAheadBytes : Math.min(readAheadBytes, burstBytes));
  const reader = (async () => {
    try {
      while (!stopped()) {
        const next = await iterator.next();
        if (next.done || stopped()) break;
        const bytes = next.value;
        if (!(bytes instanceof Uint8Array)) {
          throw new TypeError("audio chunks must be Uint8Array (16 kHz mono s16le)");
        }
        if (bytes.length === 0) continue;
        pending.push(bytes);
        pendingBytes += bytes.length;
        if (envelope) timeline.add(envelope.push(bytes));
        notify();
        while (pendingBytes >= readLimit() && !stopped()) {
          await new Promise<void>((r) => (space = r));
          space = undefined;
        }
      }
      if (envelope && !stopped()) timeline.add(envelope.end());
    } catch (e) {
      sourceError = e instanceof Error ? e : new Error(String(e));
    } finally {
      sourceDone = true;
      notify();
    }
  })();

  const take = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const head = pending[0];
      const need = n - at;
      if (head.length <= need) {
        out.set(head, at);
        at += head.length;
        pending.shift();
      } else {
        out.set(head.subarray(0, need), at);
        pending[0] = head.subarray(need);
        at += need;
      }
    }
    pendingBytes -= n;
    space?.();
    return out;
  };

  // Lip sync: one segment at a time, from the playback position.
  let lipTimer: TimerId | undefined;
  let lipLines = 0;
  let lipSentTo = 0; // audio ms up to which lip lines were sent
  const lipTick = () => {
    lipTimer = undefined;
    if (stopped()) return;
    const now = clock.now();
    const pos = pb.played(now);
    const seg = timeline.slice(pos, MAX_SEGMENT_MS);
    const line = seg.length ? lipsyncArgs(o.model, seg, maxLine) : undefined;
    if (line) {
      lipLines++;
      lipSentTo = pos + line.coveredMs;
      void io.sendLine("LIPSYNC_START", line.args).catch(() => {});
    }
    // Next: when this segment has played (or soon, when nothing was known yet), while audio plays.
    const wait = Math.max(LIP_MIN_GAP_MS, line ? line.coveredMs : 0);
    if (!sourceDone || pendingBytes > 0 || now + wait < pb.endsAt) {
      lipTimer = clock.setTimeout(lipTick, wait);
    }
  };

  let packets = 0;
  let status: PlayerResult["status"] = "finished";
  let error: Error | undefined;
  let stoppedAtMs: number | undefined;
  try {
    for (;;) {
      while (!stopped() && !sourceDone && pendingBytes < chunk) {
        await new Promise<void>((r) => (wake = r));
      }
      if (stopped()) break;
      if (sourceError) throw sourceError;
      if (pendingBytes === 0) break; // source ended, all sent
      const n = Math.min(chunk, pendingBytes - (pendingBytes % 2));
      if (n === 0) break; // a final odd byte: not a sample
      const durationMs = n / PCM_BYTES_PER_MS;
      const wait = pb.endsAt - clock.now() - (lookahead - durationMs);
      if (wait > 0) {
        try {
          await clock.sleep(wait, signal);
        } catch {
          break; // aborted while waiting: nothing more goes out
        }
      }
      if (stopped()) break;
      const payload = take(n);
      const [unit] = encodeSnd(payload, { chunkBytes: Math.max(2, n) });
      pb.sent(durationMs, clock.now());
      packets++;
      await io.writeSnd(unit);
      if (lipOn && lipTimer === undefined && lipLines === 0) lipTick();
      if (!burstSent && pb.sentMs >= lookahead) {
        burstSent = true;
        space?.();
      }
    }
  } catch (e) {
    status = "failed";
    error = e instanceof Error ? e : new Error(String(e));
  }
  if (stopped() && status !== "failed") {
    status = "interrupted";
    stoppedAtMs = pb.played(clock.now());
  }
  signal?.removeEventListener("abort", onAbort);
  space?.();
  // The tail already sent plays out; the floor is held until it has.
  const tail = pb.endsAt - clock.now();
  if (tail > 0) await clock.sleep(tail);
  if (lipTimer !== undefined) clock.clearTimeout(lipTimer);
  // A segment may run past the last audio sent: close the mouth with the voice.
  if (status !== "finished" && lipLines > 0 && lipSentTo > pb.played(clock.now()) - 1) {
    await io.sendLine("LIPSYNC_STOP", o.model).catch(() => {});
  }
  void reader;
  return { status, playedMs: pb.sentMs, stoppedAtMs, packets, lipLines, error };
}
