import { createSndConverter, wavToSndPcm } from "../../runtime/audio/convert.ts";
import { s16leToInt16 } from "../../runtime/audio/pcm.ts";
import { decodeWav } from "../../runtime/audio/wav.ts";
import { RemoteParser } from "../../runtime/emulator/parser.ts";
import { encodeSnd } from "../../runtime/wire/snd.ts";
import { assert, assertEquals } from "../assert.ts";
import { stereoToneWav } from "./tones.ts";

/** 3 s at 24 kHz stereo: 440 Hz left, 660 Hz right (both well inside 16 kHz's band). */
const stereo24k = () => stereoToneWav(440, 660, 10000);

Deno.test("a 24 kHz stereo WAV becomes 16 kHz mono: the channels averaged, 48000 samples", () => {
  const pcm = s16leToInt16(wavToSndPcm(decodeWav(stereo24k())));
  assertEquals(pcm.length, 48000);
  let err = 0;
  for (let n = 200; n < pcm.length - 200; n++) {
    const t = n / 16000;
    const ideal = 5000 * Math.sin(2 * Math.PI * 440 * t) + 5000 * Math.sin(2 * Math.PI * 660 * t);
    err = Math.max(err, Math.abs(pcm[n] - ideal));
  }
  assert(err <= 3, `largest error ${err} of 10000`);
});

Deno.test("the streaming converter gives the file's bytes for chunks cut mid-frame", () => {
  const file = stereo24k();
  const whole = wavToSndPcm(decodeWav(file));
  const conv = createSndConverter({ sampleRate: 24000, channels: 2, format: "s16" });
  const data = file.subarray(44);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += 1001) parts.push(conv.push(data.subarray(i, i + 1001)));
  parts.push(conv.end());
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  assertEquals(joined, whole);
});

Deno.test("16 kHz mono s16 passes through untouched; a bad format is refused with the choices", () => {
  const conv = createSndConverter({ sampleRate: 16000, channels: 1, format: "s16" });
  assertEquals(conv.push(Uint8Array.of(1, 2, 3)), Uint8Array.of(1, 2));
  assertEquals(conv.push(Uint8Array.of(4)), Uint8Array.of(3, 4));
  let msg = "";
  try {
    createSndConverter({ sampleRate: 16000, channels: 1, format: "mp3" as "s16" });
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.includes("format must be one of u8, s16, s24, s32, f32, f64"), msg);
});

Deno.test("converted audio as SND packets parses in MMDAgent-EX's receiver back to the same samples", () => {
  const pcm = wavToSndPcm(decodeWav(stereo24k()));
  const units = encodeSnd(pcm);
  const parser = new RemoteParser({ mode: "recover" });
  const got: number[] = [];
  for (const u of units) {
    for (const ev of parser.read(u.bytes, 0)) {
      assert(ev.kind === "snd", `unexpected ${ev.kind}`);
      got.push(...ev.bytes);
    }
  }
  assertEquals(units.length, Math.ceil(96000 / 1280));
  assertEquals(Uint8Array.from(got), pcm);
});
