/**
 * RIFF/WAVE decoding: the container a user's TTS or sound editor writes. Reads the `fmt ` and
 * `data` chunks (any order, skipping `LIST`, `fact`, `cue ` and the rest), including
 * `WAVE_FORMAT_EXTENSIBLE`, and gives the samples as one interleaved `Float32Array` in -1..1.
 *
 * Supported: integer PCM of 8 (unsigned), 16, 24 or 32 bits and IEEE float of 32 or 64 bits, 1 to
 * 8 channels, any sample rate from 1 kHz to 384 kHz. Everything else (A-law, mu-law, ADPCM, RF64,
 * big-endian RIFX, a missing chunk) is refused with a {@link WavError} that says what the file is
 * and how to convert it.
 *
 * Decision: written here rather than taken from npm. Decoding WAV is a page of code, the npm
 * decoders answer a bad file with a terse message or a wrong result, and the errors are the part a
 * user sees. Resampling, the part that is hard to get right, uses libsamplerate (`resample.ts`).
 */
import { type SampleFormat, samplesToFloat } from "./pcm.ts";
import { MmdbotError } from "../errors/error.ts";

/** A decoded WAV file. */
export interface DecodedWav {
  /** Frames per second. */
  sampleRate: number;
  /** Interleaved channels. */
  channels: number;
  /** The file's sample format. */
  format: SampleFormat;
  /** Interleaved samples, -1..1 (`frames * channels` values). */
  samples: Float32Array;
  /** Frames (samples per channel). */
  frames: number;
  /** Length in milliseconds. */
  durationMs: number;
}

/** Why a file is not a WAV this decoder can read; `code` is stable for tests and callers. */
export class WavError extends MmdbotError {
  /** `not-riff`, `rifx`, `rf64`, `not-wave`, `no-fmt`, `no-data`, `unsupported-format` or `bad-format`. */
  readonly code: string;
  /** Builds an error whose message says what is wrong with which file and how to fix it. */
  constructor(code: string, what: string, fix: string, file?: string) {
    super(`${file ? `${file}: ` : ""}${what} (fix: ${fix})`);
    this.name = "WavError";
    this.code = code;
  }
}

const CONVERT =
  "convert it with e.g. `sox in.wav -b 16 out.wav` or `ffmpeg -i in -c:a pcm_s16le out.wav`";
const latin1 = new TextDecoder("latin1");

/** Format tags of the fmt chunk (and the first two bytes of an extensible sub-format GUID). */
const TAG_PCM = 1;
const TAG_FLOAT = 3;
const TAG_EXTENSIBLE = 0xfffe;
const TAG_NAMES: Record<number, string> = {
  2: "Microsoft ADPCM",
  6: "A-law",
  7: "mu-law",
  0x11: "IMA ADPCM",
  0x55: "MP3",
};

/**
 * Decodes a RIFF/WAVE file. `file` names it in errors.
 *
 * @example
 * const wav = decodeWav(await Deno.readFile("bots/speaker/hello.wav"), "hello.wav");
 * wav.sampleRate; // e.g. 22050
 */
export function decodeWav(bytes: Uint8Array, file?: string): DecodedWav {
  const fail = (code: string, what: string, fix = CONVERT): never => {
    throw new WavError(code, what, fix, file);
  };
  if (bytes.length < 12) fail("not-riff", `${bytes.length} bytes is too short to be a WAV file`);
  const magic = latin1.decode(bytes.subarray(0, 4));
  if (magic === "RIFX") fail("rifx", "big-endian WAV (RIFX) is not supported");
  if (magic === "RF64") fail("rf64", "RF64 (WAV over 4 GiB) is not supported; cut the audio");
  if (magic !== "RIFF") {
    fail("not-riff", `not a WAV file (starts with ${JSON.stringify(magic)}, not "RIFF")`);
  }
  if (latin1.decode(bytes.subarray(8, 12)) !== "WAVE") {
    fail("not-wave", "a RIFF file but not WAVE (e.g. AVI or WebP)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: { tag: number; channels: number; rate: number; align: number; bits: number } | undefined;
  let data: Uint8Array | undefined;
  let off = 12;
  while (off + 8 <= bytes.length) {
    const id = latin1.decode(bytes.subarray(off, off + 4));
    const size = view.getUint32(off + 4, true);
    const body = off + 8;
    if (id === "fmt ") {
      if (size < 16 || body + 16 > bytes.length) fail("bad-format", "the fmt chunk is cut short");
      let tag = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const rate = view.getUint32(body + 4, true);
      const align = view.getUint16(body + 12, true);
      const bits = view.getUint16(body + 14, true);
      if (tag === TAG_EXTENSIBLE) {
        if (size < 40 || body + 40 > bytes.length) {
          fail("bad-format", "WAVE_FORMAT_EXTENSIBLE with a cut-short fmt chunk");
        }
        const valid = view.getUint16(body + 18, true);
        tag = view.getUint16(body + 24, true); // the sub-format GUID starts with the plain tag
        if (valid !== 0 && valid !== bits) {
          fail("unsupported-format", `${valid} valid bits in ${bits}-bit containers`);
        }
      }
      fmt = { tag, channels, rate, align, bits };
    } else if (id === "data") {
      // A writer that streamed the file may leave the size at 0 or 0xFFFFFFFF, and a cut-off
      // download ends early: take the whole frames that are there, as sox and players do.
      const end = size === 0 || size === 0xffffffff || body + size > bytes.length
        ? bytes.length
        : body + size;
      data = bytes.subarray(body, end);
      if (fmt) break;
    }
    off = body + size + (size % 2);
  }
  if (!fmt) fail("no-fmt", "no fmt chunk: the file does not say its sample format");
  if (!data) fail("no-data", "no data chunk: the file holds no audio");
  const f = fmt!;
  let format: SampleFormat | undefined;
  if (f.tag === TAG_PCM) {
    format = ({ 8: "u8", 16: "s16", 24: "s24", 32: "s32" } as Record<number, SampleFormat>)[f.bits];
  } else if (f.tag === TAG_FLOAT) {
    format = ({ 32: "f32", 64: "f64" } as Record<number, SampleFormat>)[f.bits];
  }
  if (!format) {
    const name = TAG_NAMES[f.tag] ??
      (f.tag === TAG_PCM ? "integer PCM" : f.tag === TAG_FLOAT ? "float" : `format tag ${f.tag}`);
    fail(
      "unsupported-format",
      `${name} with ${f.bits} bits per sample is not supported (supported: integer PCM of 8, 16, ` +
        "24 or 32 bits, float of 32 or 64 bits)",
    );
  }
  if (f.channels < 1 || f.channels > 8) {
    fail("unsupported-format", `${f.channels} channels (supported: 1 to 8)`, "mix it down first");
  }
  if (f.rate < 1000 || f.rate > 384000) {
    fail("unsupported-format", `a sample rate of ${f.rate} Hz (supported: 1 kHz to 384 kHz)`);
  }
  const frameBytes = (f.bits / 8) * f.channels;
  if (f.align !== frameBytes) {
    fail("bad-format", `block align ${f.align} does not match ${f.channels} x ${f.bits} bits`);
  }
  const whole = data!.subarray(0, data!.length - (data!.length % frameBytes));
  const samples = samplesToFloat(whole, format!);
  const frames = samples.length / f.channels;
  return {
    sampleRate: f.rate,
    channels: f.channels,
    format: format!,
    samples,
    frames,
    durationMs: (frames / f.rate) * 1000,
  };
}

/**
 * Writes 16-bit PCM as a WAV file (for tests, examples and the emulator's record of what played).
 *
 * @example
 * const bytes = encodeWav16(new Int16Array(16000), 16000, 1); // 1 s of silence
 */
export function encodeWav16(samples: Int16Array, sampleRate: number, channels: number): Uint8Array {
  const dataBytes = samples.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const v = new DataView(out.buffer);
  const put = (at: number, s: string) => out.set(new TextEncoder().encode(s), at);
  put(0, "RIFF");
  v.setUint32(4, 36 + dataBytes, true);
  put(8, "WAVE");
  put(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, TAG_PCM, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * channels * 2, true);
  v.setUint16(32, channels * 2, true);
  v.setUint16(34, 16, true);
  put(36, "data");
  v.setUint32(40, dataBytes, true);
  for (let i = 0; i < samples.length; i++) v.setInt16(44 + 2 * i, samples[i], true);
  return out;
}
