/**
 * Any supported PCM to what MMDAgent-EX plays from `SND` packets: 16 kHz, 16-bit signed
 * little-endian, mono (reference 1.3). Mix down first (one channel to resample instead of two),
 * then band-limited resampling, then rounding to 16 bits with clipping.
 *
 * The streaming form keeps partial frames and the resampler's history between chunks, so chunks
 * of any size (a TTS that streams odd byte counts) give exactly the bytes the whole input would.
 */
import {
  BYTES_PER_SAMPLE,
  floatToS16le,
  mixDown,
  type SampleFormat,
  samplesToFloat,
} from "./pcm.ts";
import { createResampler } from "./resample.ts";
import type { DecodedWav } from "./wav.ts";

/** MMDAgent-EX's rate for streamed audio. */
export const SND_RATE = 16000;

/** The layout of raw PCM input. */
export interface PcmFormat {
  /** Frames per second, 1000 to 384000. */
  sampleRate: number;
  /** Interleaved channels, 1 to 8. */
  channels: number;
  /** Sample encoding (little-endian). */
  format: SampleFormat;
}

/** A streaming conversion to 16 kHz mono s16le. */
export interface SndConverter {
  /** Converts a chunk (any length; a partial frame waits for the next chunk). */
  push(bytes: Uint8Array): Uint8Array;
  /** Ends the input; returns the last bytes. A trailing partial frame is dropped. */
  end(): Uint8Array;
}

/** Checks a {@link PcmFormat}; returns the problem in words, or undefined when it is fine. */
export function pcmFormatProblem(f: PcmFormat): string | undefined {
  if (!Number.isSafeInteger(f.sampleRate) || f.sampleRate < 1000 || f.sampleRate > 384000) {
    return `sampleRate must be a whole number of Hz from 1000 to 384000, got ${f.sampleRate}`;
  }
  if (!Number.isSafeInteger(f.channels) || f.channels < 1 || f.channels > 8) {
    return `channels must be 1 to 8, got ${f.channels}`;
  }
  if (!(f.format in BYTES_PER_SAMPLE)) {
    return `format must be one of u8, s16, s24, s32, f32, f64, got ${JSON.stringify(f.format)}`;
  }
  return undefined;
}

/**
 * A streaming converter for input of format `f`. Throws a `RangeError` for a bad format.
 *
 * @example
 * const conv = createSndConverter({ sampleRate: 24000, channels: 2, format: "s16" });
 * const pcm16k = [conv.push(chunk), conv.end()];
 */
export function createSndConverter(f: PcmFormat): SndConverter {
  const problem = pcmFormatProblem(f);
  if (problem) throw new RangeError(problem);
  const frameBytes = BYTES_PER_SAMPLE[f.format] * f.channels;
  const rs = createResampler(f.sampleRate, SND_RATE);
  let carry = new Uint8Array(0);
  const passThrough = f.format === "s16" && f.channels === 1 && f.sampleRate === SND_RATE;
  return {
    push(bytes) {
      let input = bytes;
      if (carry.length) {
        input = new Uint8Array(carry.length + bytes.length);
        input.set(carry);
        input.set(bytes, carry.length);
      }
      const whole = input.length - (input.length % frameBytes);
      carry = input.slice(whole);
      const frames = input.subarray(0, whole);
      if (passThrough) return frames.slice();
      return floatToS16le(rs.push(mixDown(samplesToFloat(frames, f.format), f.channels)));
    },
    end() {
      carry = new Uint8Array(0);
      return passThrough ? new Uint8Array(0) : floatToS16le(rs.end());
    },
  };
}

/**
 * A decoded WAV as 16 kHz mono s16le bytes.
 *
 * @example
 * const pcm = wavToSndPcm(decodeWav(bytes)); // ready for encodeSnd
 */
export function wavToSndPcm(wav: DecodedWav): Uint8Array {
  const rs = createResampler(wav.sampleRate, SND_RATE);
  const mono = mixDown(wav.samples, wav.channels);
  const a = rs.push(mono);
  const b = rs.end();
  const all = new Float32Array(a.length + b.length);
  all.set(a);
  all.set(b, a.length);
  return floatToS16le(all);
}
