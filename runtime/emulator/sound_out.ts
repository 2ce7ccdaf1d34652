/**
 * The emulated sound device behind Plugin_Remote's `SND` path (reference 1.3, speech.md section 6):
 * audio of a connection plays in arrival order at real time (16 kHz, 16-bit mono), the first packet
 * after silence {@link SND_OUTPUT_LATENCY_MS} after it arrives (observed 90-99 ms); a packet that
 * comes while audio plays queues behind it; nothing is reported on the wire. Audio is dropped when
 * no model is bound with `__AV_SETMODEL` (reported once per connection as a `drop` fault) and when
 * more than 60 s are queued. A disconnect destroys the avatar controller and cuts what still plays.
 *
 * What played is kept as runs (contiguous audio), so a test can assert what was heard, when, and
 * where it was cut. Simplification: the binding's model need not be loaded (tests rarely ship a
 * model file); the run records the alias.
 */
import { PCM_BYTES_PER_MS } from "../wire/snd.ts";

/** Delay from an SND packet's arrival to its first sample playing, when nothing plays. */
export const SND_OUTPUT_LATENCY_MS = 90;
/** Plugin_Remote's receive buffer: 60 s of audio; more is discarded. */
export const SND_BUFFER_MS = 60_000;
/** PCM kept per connection for {@link SoundOut.pcm} (10 minutes); older audio is counted only. */
const KEEP_BYTES = 10 * 60_000 * PCM_BYTES_PER_MS;

/** One stretch of audio that played without a gap. */
export interface PlayedRun {
  /** Connection the audio came from. */
  conn: number;
  /** Model alias bound when it came. */
  model: string;
  /** Clock time the first packet arrived. */
  firstPacketAt: number;
  /** Clock time the first sample played. */
  startAt: number;
  /** Clock time the last sample played (or the cut). */
  endAt: number;
  /** Audio in the run, ms. */
  ms: number;
  /** Packets in the run. */
  packets: number;
  /** Clock time the run was cut (a disconnect), if it was. */
  cutAt?: number;
}

/** One SND packet as it arrived (whether it played or was dropped). */
export interface SndArrival {
  /** Connection it came on. */
  conn: number;
  /** Clock time it arrived (when the emulator's reader took it). */
  at: number;
  /** Audio in it, ms. */
  ms: number;
}

/** Arrivals kept for {@link SoundOut.arrivals} (the oldest are forgotten past this). */
export const KEEP_ARRIVALS = 100_000;

/** The emulated device (see the module documentation). */
export interface SoundOut {
  /** An SND payload arrived from `conn` at `now`, with `model` bound (undefined: none). */
  packet(conn: number, bytes: Uint8Array, model: string | undefined, now: number): void;
  /** The connection closed at `now`: audio still queued is cut. */
  disconnect(conn: number, now: number): void;
  /** Runs so far (the last one may still be playing), oldest first. */
  runs(): PlayedRun[];
  /** Audio of `conn` received and played or queued, as 16 kHz s16le bytes. */
  pcm(conn?: number): Uint8Array;
  /**
   * Every packet's arrival, oldest first (at most {@link KEEP_ARRIVALS}): how the audio was paced,
   * as the receiving end saw it.
   */
  arrivals(conn?: number): SndArrival[];
  /** Audio ms discarded, by reason. */
  readonly dropped: { noModel: number; bufferFull: number };
  /** Audio ms not yet played at `now` (per connection, or all). */
  queuedMs(now: number, conn?: number): number;
}

/**
 * A fresh emulated sound device. `onDrop` hears the first drop of each connection without a model.
 *
 * @example
 * const out = createSoundOut();
 * out.packet(0, new Uint8Array(1280), "mei", 0);
 * out.runs()[0].startAt; // 90
 */
export function createSoundOut(onDrop?: (conn: number, why: string) => void): SoundOut {
  const runs: PlayedRun[] = [];
  const open = new Map<number, PlayedRun>();
  const audio = new Map<number, Uint8Array[]>();
  const kept = new Map<number, number>();
  const warned = new Set<number>();
  const dropped = { noModel: 0, bufferFull: 0 };
  let arrived: SndArrival[] = [];
  return {
    packet(conn, bytes, model, now) {
      const ms = bytes.length / PCM_BYTES_PER_MS;
      arrived.push({ conn, at: now, ms });
      // Halved when full, so keeping the record costs O(1) per packet on average.
      if (arrived.length > KEEP_ARRIVALS) arrived = arrived.slice(arrived.length >> 1);
      if (model === undefined) {
        dropped.noModel += ms;
        if (!warned.has(conn)) {
          warned.add(conn);
          onDrop?.(
            conn,
            "SND audio with no model bound is discarded by MMDAgent-EX: send __AV_START and " +
              "__AV_SETMODEL,<alias> on this connection first",
          );
        }
        return;
      }
      let run = open.get(conn);
      if (run && run.endAt <= now) run = undefined; // it ran dry: a new run after a gap
      if (run && run.model !== model) run = undefined;
      if (run && run.endAt - now + ms > SND_BUFFER_MS) {
        dropped.bufferFull += ms;
        return;
      }
      if (!run) {
        run = {
          conn,
          model,
          firstPacketAt: now,
          startAt: now + SND_OUTPUT_LATENCY_MS,
          endAt: now + SND_OUTPUT_LATENCY_MS,
          ms: 0,
          packets: 0,
        };
        const prev = open.get(conn);
        if (prev && prev.endAt > run.startAt) run.startAt = run.endAt = prev.endAt;
        runs.push(run);
        open.set(conn, run);
      }
      run.endAt += ms;
      run.ms += ms;
      run.packets++;
      const k = kept.get(conn) ?? 0;
      if (k + bytes.length <= KEEP_BYTES) {
        const list = audio.get(conn) ?? [];
        list.push(bytes.slice());
        audio.set(conn, list);
        kept.set(conn, k + bytes.length);
      }
    },
    disconnect(conn, now) {
      const run = open.get(conn);
      if (run && run.endAt > now) {
        run.cutAt = Math.max(now, run.startAt);
        run.ms -= run.endAt - run.cutAt;
        run.endAt = run.cutAt;
      }
      open.delete(conn);
      warned.delete(conn);
    },
    runs: () => runs.map((r) => ({ ...r })),
    arrivals: (conn) =>
      arrived.filter((a) => conn === undefined || a.conn === conn).map((a) => ({ ...a })),
    pcm(conn) {
      const lists = conn === undefined ? [...audio.values()] : [audio.get(conn) ?? []];
      const parts = lists.flat();
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    },
    dropped,
    queuedMs(now, conn) {
      let sum = 0;
      for (const [c, run] of open) {
        if (conn === undefined || c === conn) {
          sum += Math.max(0, run.endAt - Math.max(now, run.startAt));
        }
      }
      return sum;
    },
  };
}
