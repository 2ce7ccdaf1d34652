/**
 * Lip sync for streamed audio, as MMDAgent-EX's own command: `LIPSYNC_START|<model>|<phone>,<ms>,…`
 * (exactly two arguments; messages.json). The core turns the list into a mouth motion through
 * `AppData/lip.txt`, whose 69 phone names are {@link LIP_PHONES}; a name not in that table silently
 * becomes its first entry (`A`, a half-open mouth), so unknown names are refused here instead. Each
 * duration becomes frames at 30 fps (at least one), the last phone is held 6 more frames (200 ms)
 * and the mouth then closes (`LipSync.cpp`).
 *
 * Two sources: phone or mora timings from the TTS, or the audio's loudness envelope (40 ms windows
 * mapped to a closed, half-open or open mouth: `N`, `A`, `a`). Either way the timeline is sent in
 * segments of at most {@link MAX_SEGMENT_MS} as the audio plays (see `player.ts`), each line kept
 * under the outbound line limit, so a stop can close the mouth with `LIPSYNC_STOP|<model>` and no
 * line comes near the binary's 2048-byte limit (a long lip list was observed cut there and glued to
 * the next message, speech.md section 4).
 */
import { PCM_BYTES_PER_MS } from "../wire/snd.ts";

/** Phone names of MMDAgent-EX's `Release/AppData/lip.txt` (commit 9981469), in file order. */
export const LIP_PHONES: readonly string[] = (
  "A E I N O U a b by ch cl d dy e f g gy h hy i j k ky m my n ny o p pau py r ry s sh sil t " +
  "ts ty u v w y z aa ae ah ao aw ax axr ay dh eh er ey hh ih iy jh l ng ow oy sp th uh uw " +
  "zh"
).split(" ");

const PHONE_SET = new Set(LIP_PHONES);

/** Longest audio one `LIPSYNC_START` covers: short enough that a stop closes the mouth soon. */
export const MAX_SEGMENT_MS = 2000;

/** Envelope window: one 40 ms SND packet's worth of audio. */
export const ENVELOPE_WINDOW_MS = 40;

/** One phone with its duration. */
export interface LipPhone {
  /** A name from {@link LIP_PHONES}. */
  phone: string;
  /** Duration in ms (> 0). */
  ms: number;
}

/** One mora as Japanese TTS engines report it (e.g. VOICEVOX's accent phrases), lengths in ms. */
export interface LipMora {
  /** Consonant phone (`k`, `sh`, `ts`, …), absent for a bare vowel. */
  consonant?: string;
  /** Consonant length in ms. */
  consonantMs?: number;
  /** Vowel phone (`a` … `o`, devoiced `A` … `O`, `N`, `cl`, `pau`). */
  vowel: string;
  /** Vowel length in ms. */
  vowelMs: number;
}

/** Refuses timings the binary would misread; returns the problem in words or undefined. */
export function lipPhonesProblem(phones: readonly LipPhone[]): string | undefined {
  for (const [i, p] of phones.entries()) {
    if (!PHONE_SET.has(p.phone)) {
      return `lip-sync phone ${i} ${JSON.stringify(p.phone)} is not in MMDAgent-EX's lip table ` +
        `(it would show as "A"); use one of: ${LIP_PHONES.join(" ")}`;
    }
    if (!Number.isFinite(p.ms) || p.ms <= 0) {
      return `lip-sync phone ${i} (${p.phone}) has duration ${p.ms}; durations are ms > 0`;
    }
  }
  return undefined;
}

/**
 * Moras to phones (consonant then vowel).
 *
 * @example
 * morasToPhones([{ consonant: "k", consonantMs: 60, vowel: "o", vowelMs: 90 }]);
 * // [{ phone: "k", ms: 60 }, { phone: "o", ms: 90 }]
 */
export function morasToPhones(moras: readonly LipMora[]): LipPhone[] {
  const out: LipPhone[] = [];
  for (const m of moras) {
    if (m.consonant !== undefined && (m.consonantMs ?? 0) > 0) {
      out.push({ phone: m.consonant, ms: m.consonantMs! });
    }
    out.push({ phone: m.vowel, ms: m.vowelMs });
  }
  return out;
}

/**
 * The loudness envelope of 16 kHz s16le PCM as phones, one per {@link ENVELOPE_WINDOW_MS} window:
 * `N` (closed) below 12 % of the loudest window so far, `A` (half open) below 40 %, else `a`.
 * Relative to a running peak (at least -26 dBFS), so quiet and loud voices both move the mouth.
 * Keep one analyser per utterance: it carries the partial window and the peak.
 */
export interface EnvelopeAnalyser {
  /** Feeds PCM; returns the phones of the windows it completed. */
  push(pcm: Uint8Array): LipPhone[];
  /** The last partial window's phone, if any. */
  end(): LipPhone[];
}

/**
 * A fresh loudness analyser (see {@link EnvelopeAnalyser}).
 *
 * @example
 * const env = createEnvelope();
 * env.push(pcm16k); // [{ phone: "a", ms: 40 }, …]
 */
export function createEnvelope(): EnvelopeAnalyser {
  const windowBytes = ENVELOPE_WINDOW_MS * PCM_BYTES_PER_MS;
  let sum = 0;
  let count = 0;
  let peak = 0.05; // -26 dBFS: silence never counts as the loudest window
  let odd: number | undefined;
  const close = (): LipPhone => {
    const rms = Math.sqrt(sum / Math.max(1, count));
    const ms = (count / (windowBytes / 2)) * ENVELOPE_WINDOW_MS;
    sum = 0;
    count = 0;
    if (rms > peak) peak = rms;
    const level = rms / peak;
    return { phone: level < 0.12 ? "N" : level < 0.4 ? "A" : "a", ms };
  };
  const sample = (lo: number, hi: number) => {
    const x = ((lo | (hi << 8)) << 16 >> 16) / 32768;
    sum += x * x;
    count++;
  };
  return {
    push(pcm) {
      const out: LipPhone[] = [];
      let i = 0;
      if (odd !== undefined && pcm.length > 0) {
        sample(odd, pcm[0]);
        odd = undefined;
        i = 1;
        if (count * 2 >= windowBytes) out.push(close());
      }
      for (; i + 1 < pcm.length; i += 2) {
        sample(pcm[i], pcm[i + 1]);
        if (count * 2 >= windowBytes) out.push(close());
      }
      if (i < pcm.length) odd = pcm[i];
      return out;
    },
    end() {
      return count > 0 ? [close()] : [];
    },
  };
}

/** Joins neighbours with the same phone (fewer bytes, the same motion). */
export function mergePhones(phones: readonly LipPhone[]): LipPhone[] {
  const out: LipPhone[] = [];
  for (const p of phones) {
    const last = out[out.length - 1];
    if (last && last.phone === p.phone) last.ms += p.ms;
    else out.push({ ...p });
  }
  return out;
}

/**
 * A timeline of phones that grows as audio (or TTS timings) arrives, read in segments from a
 * playback position. Positions are ms of audio from the utterance's start.
 */
export interface LipTimeline {
  /** Appends phones at the end. */
  add(phones: readonly LipPhone[]): void;
  /** Audio ms the timeline covers. */
  readonly knownMs: number;
  /**
   * The phones from `fromMs` to at most `fromMs + maxMs` (the first one cut to start at `fromMs`),
   * merged; empty when nothing is known past `fromMs`.
   */
  slice(fromMs: number, maxMs: number): LipPhone[];
}

/**
 * A fresh, empty timeline.
 *
 * @example
 * const tl = createTimeline();
 * tl.add([{ phone: "a", ms: 100 }, { phone: "i", ms: 100 }]);
 * tl.slice(50, 100); // [{ phone: "a", ms: 50 }, { phone: "i", ms: 50 }]
 */
export function createTimeline(): LipTimeline {
  const starts: number[] = [];
  const phones: LipPhone[] = [];
  let known = 0;
  return {
    add(list) {
      for (const p of list) {
        starts.push(known);
        phones.push({ phone: p.phone, ms: p.ms });
        known += p.ms;
      }
    },
    get knownMs() {
      return known;
    },
    slice(fromMs, maxMs) {
      const to = Math.min(known, fromMs + maxMs);
      const out: LipPhone[] = [];
      // Binary search for the phone that contains fromMs.
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid] <= fromMs) lo = mid;
        else hi = mid - 1;
      }
      for (let i = lo; i < phones.length && starts[i] < to; i++) {
        const a = Math.max(starts[i], fromMs);
        const b = Math.min(starts[i] + phones[i].ms, to);
        if (b > a) out.push({ phone: phones[i].phone, ms: b - a });
      }
      return mergePhones(out);
    },
  };
}

/**
 * The arguments of one `LIPSYNC_START` line for `phones`, with durations rounded to whole ms (at
 * least 1) and the list cut so that `LIPSYNC_START|<model>|<list>` fits in `maxLineBytes`. Returns
 * the text after `LIPSYNC_START|` and the audio ms it covers, or undefined when not even one phone
 * fits.
 *
 * @example
 * lipsyncArgs("mei", [{ phone: "a", ms: 120.4 }], 1800); // { args: "mei|a,120", coveredMs: 120.4 }
 */
export function lipsyncArgs(
  model: string,
  phones: readonly LipPhone[],
  maxLineBytes: number,
): { args: string; coveredMs: number } | undefined {
  const enc = new TextEncoder();
  let bytes = enc.encode(`LIPSYNC_START|${model}|`).length;
  const parts: string[] = [];
  let covered = 0;
  for (const p of phones) {
    const part = `${p.phone},${Math.max(1, Math.round(p.ms))}`;
    const add = part.length + (parts.length ? 1 : 0);
    if (bytes + add > maxLineBytes) break;
    bytes += add;
    parts.push(part);
    covered += p.ms;
  }
  if (parts.length === 0) return undefined;
  return { args: `${model}|${parts.join(",")}`, coveredMs: covered };
}
