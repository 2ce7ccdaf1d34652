/** Test audio: WAV files of steady sine tones, so what arrives can be checked against a formula. */
import { encodeWav16 } from "../../runtime/audio/wav.ts";

/**
 * A 16-bit stereo WAV of `seconds` at `rate`: a `left` Hz tone on the left channel and a `right` Hz
 * one on the right, both of peak `amplitude` (of 32767).
 */
export function stereoToneWav(
  left: number,
  right: number,
  amplitude: number,
  seconds = 3,
  rate = 24000,
): Uint8Array {
  const n = Math.round(seconds * rate);
  const s = new Int16Array(n * 2);
  for (let i = 0; i < n; i++) {
    s[2 * i] = Math.round(amplitude * Math.sin((2 * Math.PI * left * i) / rate));
    s[2 * i + 1] = Math.round(amplitude * Math.sin((2 * Math.PI * right * i) / rate));
  }
  return encodeWav16(s, rate, 2);
}
