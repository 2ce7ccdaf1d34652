import { decodeWav, encodeWav16, WavError } from "../../runtime/audio/wav.ts";
import { assert, assertEquals } from "../assert.ts";

/** Builds a WAV with any header fields, for the formats the encoder does not write. */
function wav(opts: {
  tag?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  data: Uint8Array;
  extensible?: number;
  extra?: { id: string; body: Uint8Array }[];
  magic?: string;
}): Uint8Array {
  const ch = opts.channels ?? 1;
  const bits = opts.bits ?? 16;
  const fmtSize = opts.extensible !== undefined ? 40 : 16;
  const chunks: Uint8Array[] = [];
  const head = (id: string, size: number) => {
    const b = new Uint8Array(8);
    b.set(new TextEncoder().encode(id));
    new DataView(b.buffer).setUint32(4, size, true);
    return b;
  };
  for (const e of opts.extra ?? []) {
    chunks.push(head(e.id, e.body.length), e.body);
    if (e.body.length % 2) chunks.push(new Uint8Array(1));
  }
  const fmt = new Uint8Array(fmtSize);
  const v = new DataView(fmt.buffer);
  v.setUint16(0, opts.extensible !== undefined ? 0xfffe : (opts.tag ?? 1), true);
  v.setUint16(2, ch, true);
  v.setUint32(4, opts.rate ?? 16000, true);
  v.setUint32(8, (opts.rate ?? 16000) * ch * bits / 8, true);
  v.setUint16(12, ch * bits / 8, true);
  v.setUint16(14, bits, true);
  if (opts.extensible !== undefined) {
    v.setUint16(16, 22, true);
    v.setUint16(18, bits, true);
    v.setUint16(24, opts.extensible, true);
  }
  chunks.unshift(head("fmt ", fmtSize), fmt);
  chunks.push(head("data", opts.data.length), opts.data);
  const body = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(12 + body);
  out.set(new TextEncoder().encode(opts.magic ?? "RIFF"));
  new DataView(out.buffer).setUint32(4, 4 + body, true);
  out.set(new TextEncoder().encode("WAVE"), 8);
  let at = 12;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert(e instanceof WavError, `not a WavError: ${e}`);
    return e.code;
  }
  throw new Error("no error");
}

Deno.test("decodeWav reads 16-bit stereo written by encodeWav16, interleaved, in -1..1", () => {
  const bytes = encodeWav16(Int16Array.of(16384, -16384, 32767, -32768), 24000, 2);
  const w = decodeWav(bytes);
  assertEquals([w.sampleRate, w.channels, w.format, w.frames], [24000, 2, "s16", 2]);
  assertEquals(Array.from(w.samples), [0.5, -0.5, 32767 / 32768, -1]);
  assertEquals(w.durationMs, 2 / 24000 * 1000);
});

Deno.test("decodeWav reads 24-bit and 32-bit integer PCM with their sign", () => {
  const d24 = Uint8Array.of(0x00, 0x00, 0x40, 0x00, 0x00, 0xc0); // +0.5, -0.5
  assertEquals(Array.from(decodeWav(wav({ bits: 24, data: d24 })).samples), [0.5, -0.5]);
  const d32 = new Uint8Array(8);
  new DataView(d32.buffer).setInt32(0, 0x40000000, true);
  new DataView(d32.buffer).setInt32(4, -0x80000000, true);
  assertEquals(Array.from(decodeWav(wav({ bits: 32, data: d32 })).samples), [0.5, -1]);
});

Deno.test("decodeWav reads 32-bit float, also as WAVE_FORMAT_EXTENSIBLE, and 8-bit unsigned", () => {
  const f = new Uint8Array(8);
  new DataView(f.buffer).setFloat32(0, 0.25, true);
  new DataView(f.buffer).setFloat32(4, -0.75, true);
  assertEquals(Array.from(decodeWav(wav({ tag: 3, bits: 32, data: f })).samples), [0.25, -0.75]);
  const ext = decodeWav(wav({ extensible: 3, bits: 32, data: f }));
  assertEquals([ext.format, Array.from(ext.samples)], ["f32", [0.25, -0.75]]);
  assertEquals(Array.from(decodeWav(wav({ bits: 8, data: Uint8Array.of(128, 192, 0) })).samples), [
    0,
    0.5,
    -1,
  ]);
});

Deno.test("decodeWav skips LIST chunks before fmt and drops a trailing partial frame", () => {
  const list = { id: "LIST", body: new TextEncoder().encode("INFOISFT\u0003\0\0\0abc") };
  const w = decodeWav(wav({ channels: 2, data: new Uint8Array(9), extra: [list] }));
  assertEquals([w.frames, w.samples.length], [2, 4]);
});

Deno.test("decodeWav refuses what it cannot play, naming the file, the format and the fix", () => {
  assertEquals(
    errorCode(() => decodeWav(new TextEncoder().encode("ID3\u0004 mp3 data"))),
    "not-riff",
  );
  assertEquals(errorCode(() => decodeWav(wav({ magic: "RIFX", data: new Uint8Array(2) }))), "rifx");
  const alaw = () => decodeWav(wav({ tag: 6, bits: 8, data: new Uint8Array(2) }), "bots/x/a.wav");
  assertEquals(errorCode(alaw), "unsupported-format");
  try {
    alaw();
  } catch (e) {
    const m = (e as Error).message;
    assert(m.startsWith("bots/x/a.wav: A-law"), m);
    assert(m.includes("fix: convert it"), m);
  }
  assertEquals(
    errorCode(() => decodeWav(wav({ bits: 12, data: new Uint8Array(4) }))),
    "unsupported-format",
  );
  const noData = wav({ data: new Uint8Array(0) }).subarray(0, 36); // RIFF + fmt only
  assertEquals(errorCode(() => decodeWav(noData)), "no-data");
  assertEquals(
    errorCode(() => decodeWav(wav({ channels: 9, data: new Uint8Array(18) }))),
    "unsupported-format",
  );
});
