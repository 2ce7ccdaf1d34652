/**
 * Raw PCM sample formats and the two conversions every audio path needs: bytes of any supported
 * little-endian format to float samples, and float samples to what MMDAgent-EX plays (16-bit
 * signed little-endian mono). Mixing down averages the channels, so a stereo file with the same
 * signal on both sides keeps its level and one with opposite phases cancels as it would on a mono
 * speaker.
 */

/** A little-endian sample format: unsigned 8-bit, signed 16/24/32-bit integer, 32/64-bit float. */
export type SampleFormat = "u8" | "s16" | "s24" | "s32" | "f32" | "f64";

/** Every {@link SampleFormat}, for validation at the edges. */
export const SAMPLE_FORMATS: readonly SampleFormat[] = ["u8", "s16", "s24", "s32", "f32", "f64"];

/** Bytes per sample of each format. */
export const BYTES_PER_SAMPLE: Record<SampleFormat, number> = {
  u8: 1,
  s16: 2,
  s24: 3,
  s32: 4,
  f32: 4,
  f64: 8,
};

/**
 * Decodes little-endian samples to floats in -1..1 (float input is passed through, NaN becomes
 * 0). `bytes.length` must be a whole number of samples.
 *
 * @example
 * samplesToFloat(new Uint8Array([0x00, 0x40]), "s16"); // Float32Array [0.5]
 */
export function samplesToFloat(bytes: Uint8Array, format: SampleFormat): Float32Array {
  const size = BYTES_PER_SAMPLE[format];
  if (bytes.length % size !== 0) {
    throw new RangeError(`${bytes.length} bytes is not a whole number of ${format} samples`);
  }
  const n = bytes.length / size;
  const out = new Float32Array(n);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (format) {
    case "u8":
      for (let i = 0; i < n; i++) out[i] = (bytes[i] - 128) / 128;
      break;
    case "s16":
      for (let i = 0; i < n; i++) out[i] = v.getInt16(2 * i, true) / 32768;
      break;
    case "s24":
      for (let i = 0; i < n; i++) {
        const at = 3 * i;
        const x = bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
        out[i] = ((x << 8) >> 8) / 8388608;
      }
      break;
    case "s32":
      for (let i = 0; i < n; i++) out[i] = v.getInt32(4 * i, true) / 2147483648;
      break;
    case "f32":
      for (let i = 0; i < n; i++) out[i] = v.getFloat32(4 * i, true) || 0;
      break;
    case "f64":
      for (let i = 0; i < n; i++) out[i] = v.getFloat64(8 * i, true) || 0;
      break;
  }
  return out;
}

/**
 * Averages interleaved channels into one. Mono input is returned as it is.
 *
 * @example
 * mixDown(Float32Array.of(1, 0, 0.5, 0.5), 2); // Float32Array [0.5, 0.5]
 */
export function mixDown(samples: Float32Array, channels: number): Float32Array {
  if (channels === 1) return samples;
  const frames = Math.floor(samples.length / channels);
  const out = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += samples[f * channels + c];
    out[f] = sum / channels;
  }
  return out;
}

/**
 * Floats to 16-bit signed little-endian bytes, rounded and clipped to the 16-bit range.
 *
 * @example
 * floatToS16le(Float32Array.of(0.5, -2)); // bytes of Int16 16384, -32768
 */
export function floatToS16le(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const v = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) {
    const x = Math.round(samples[i] * 32768);
    v.setInt16(2 * i, x > 32767 ? 32767 : x < -32768 ? -32768 : x, true);
  }
  return out;
}

/**
 * Reads 16-bit signed little-endian bytes as numbers (for tests and the emulator's record).
 *
 * @example
 * s16leToInt16(new Uint8Array([0x00, 0x40])); // Int16Array [16384]
 */
export function s16leToInt16(bytes: Uint8Array): Int16Array {
  const n = Math.floor(bytes.length / 2);
  const out = new Int16Array(n);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = v.getInt16(2 * i, true);
  return out;
}
