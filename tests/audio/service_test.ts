import { VirtualClock } from "../../runtime/clock/virtual.ts";
import { silentLogger } from "../../runtime/log/logger.ts";
import { createAudioService, resolveInside } from "../../runtime/audio/service.ts";
import { encodeWav16 } from "../../runtime/audio/wav.ts";
import { s16leToInt16 } from "../../runtime/audio/pcm.ts";
import type { WireUnit } from "../../runtime/wire/types.ts";
import { assert, assertEquals } from "../assert.ts";

async function tempWav(
  ms: number,
  rate = 24000,
  channels = 2,
): Promise<{ dir: string; path: string }> {
  const dir = await Deno.makeTempDir();
  const n = Math.round((rate * ms) / 1000);
  const s = new Int16Array(n * channels);
  for (let i = 0; i < s.length; i++) {
    s[i] = Math.round(8000 * Math.sin((2 * Math.PI * 300 * Math.floor(i / channels)) / rate));
  }
  await Deno.writeFile(`${dir}/clip.wav`, encodeWav16(s, rate, channels));
  return { dir, path: `${dir}/clip.wav` };
}

/** Real I/O (reading the file) happens off the virtual clock: let it run, then move time. */
async function run(clock: VirtualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 20) {
    await new Promise((r) => setTimeout(r, 0));
    await clock.advance(20);
  }
}

function rig(startupHoldMs?: number) {
  const clock = new VirtualClock(0);
  const snd: { at: number; unit: WireUnit }[] = [];
  const lines: string[] = [];
  const svc = createAudioService({
    clock,
    log: silentLogger,
    writeSnd: (unit) => {
      snd.push({ at: clock.now(), unit });
      return Promise.resolve();
    },
    sendLine: (line) => {
      lines.push(line);
      return Promise.resolve(undefined);
    },
    maxLineBytes: () => 1800,
    startupHoldMs,
  });
  return { clock, svc, snd, lines };
}

Deno.test("a file plays as 16 kHz SND after __AV_START, __AV_SETMODEL and DISABLEAUTOLIP, then finishes", async () => {
  const { path } = await tempWav(1000);
  const r = rig();
  r.svc.connected();
  const done = r.svc.play({ owner: "bot", model: "mei", source: { kind: "file", path } });
  await run(r.clock, 2000);
  const res = await done;
  assertEquals([res.status, res.playedMs, res.durationMs], ["finished", 1000, 1000]);
  assertEquals(r.lines.slice(0, 3), [
    "__AV_START",
    "__AV_SETMODEL,mei",
    "__AVCONF_DISABLEAUTOLIP,ALWAYS",
  ]);
  assert(r.lines.slice(3).every((l) => l.startsWith("LIPSYNC_START|mei|")), r.lines.join("\n"));
  const samples = r.snd.reduce((n, p) => n + (p.unit.bytes.length - 7) / 2, 0);
  assertEquals(samples, 16000);
  // A second clip on the same connection needs no controller lines again.
  const again = r.svc.play({
    owner: "bot",
    model: "mei",
    source: { kind: "file", path },
    lipSync: "off",
  });
  const before = r.lines.length;
  await run(r.clock, 2000);
  assertEquals((await again).status, "finished");
  assertEquals(r.lines.length, before);
});

Deno.test("a clip in a connection's first seconds holds its first packet until the start-up hold has passed; later clips and reconnects are timed from their connection", async () => {
  const { path } = await tempWav(500);
  const r = rig(2500);
  await r.clock.advance(10_000);
  r.svc.connected(); // at 10 000
  const one = r.svc.play({ owner: "bot", model: "mei", source: { kind: "file", path } });
  await run(r.clock, 3500);
  assertEquals((await one).status, "finished");
  // The controller's lines went out at once; the audio only once the binary plays it.
  assertEquals(r.lines.slice(0, 2), ["__AV_START", "__AV_SETMODEL,mei"]);
  assertEquals(r.snd[0].at, 12_500);
  // Past the hold, a clip starts at once.
  const at = r.clock.now();
  const two = r.svc.play({ owner: "bot", model: "mei", source: { kind: "file", path } });
  await run(r.clock, 1000);
  assertEquals((await two).status, "finished");
  const second = r.snd.find((p) => p.at >= at)!;
  assert(second.at - at <= 40, `the second clip waited ${second.at - at} ms`);
  // A stop during the hold: nothing is sent, and the clip says it was cut before it played.
  r.svc.disconnected();
  r.svc.connected();
  const sent = r.snd.length;
  const ac = new AbortController();
  const three = r.svc.play({
    owner: "bot",
    model: "mei",
    source: { kind: "file", path },
    signal: ac.signal,
  });
  await run(r.clock, 1000);
  ac.abort();
  await run(r.clock, 2000);
  const cut = await three;
  assertEquals([cut.status, cut.playedMs, cut.by], ["interrupted", 0, "stop"]);
  assertEquals(r.snd.length, sent);
});

Deno.test("the bot's stop interrupts a clip; a disconnect stops one; clips never overlap", async () => {
  const { path } = await tempWav(3000);
  const r = rig();
  r.svc.connected();
  const ac = new AbortController();
  const one = r.svc.play({
    owner: "a",
    model: "mei",
    source: { kind: "file", path },
    signal: ac.signal,
  });
  await run(r.clock, 100); // the first has the floor (its file is read) before the second asks
  const two = r.svc.play({ owner: "b", model: "g2", source: { kind: "file", path } });
  await run(r.clock, 900);
  ac.abort();
  await run(r.clock, 300);
  const first = await one;
  assertEquals([first.status, first.by], ["interrupted", "stop"]);
  // Started once the file was read (a step of real I/O), stopped at 1000 on the clock.
  assert(first.stoppedAtMs! >= 900 && first.stoppedAtMs! <= 1000, `${first.stoppedAtMs}`);
  assert(first.playedMs - first.stoppedAtMs! <= 120, `tail ${first.playedMs - first.stoppedAtMs!}`);
  const firstEnd = r.snd.filter((p) => p.at <= 1000).length;
  await run(r.clock, 500);
  r.svc.disconnected();
  await run(r.clock, 500);
  const second = await two;
  assertEquals([second.status, second.by], ["interrupted", "disconnect"]);
  assert(r.lines.includes("__AV_SETMODEL,g2"), "the second clip rebinds the controller");
  // The second clip's packets all come after the first one's last.
  const secondFirstAt = r.snd[firstEnd + 1]?.at ?? Infinity;
  assert(secondFirstAt >= 1000, `overlap at ${secondFirstAt}`);
});

Deno.test("bad files, paths outside the folder and a missing connection are refused with reasons", async () => {
  const { dir } = await tempWav(100);
  await Deno.writeTextFile(`${dir}/notes.txt`, "not audio");
  const r = rig();
  const offline = await r.svc.play({
    owner: "a",
    model: "mei",
    source: { kind: "file", path: `${dir}/clip.wav` },
  });
  assertEquals([offline.status, offline.by], ["refused", "disconnect"]);
  r.svc.connected();
  const txt = await r.svc.play({
    owner: "a",
    model: "mei",
    source: { kind: "file", path: `${dir}/notes.txt`, label: "notes.txt" },
  });
  assertEquals(txt.status, "refused");
  assert(txt.reason!.startsWith("notes.txt: ") && txt.reason!.includes("WAV"), txt.reason);
  const out = await resolveInside(dir, "../../etc/passwd");
  assert(
    typeof out !== "string" && /outside the bot's folder|no file/.test(out.reason),
    JSON.stringify(out),
  );
  const abs = await resolveInside(dir, "/etc/passwd");
  assert(typeof abs !== "string" && abs.reason.includes("absolute"));
  assertEquals(await resolveInside(dir, "clip.wav"), await Deno.realPath(`${dir}/clip.wav`));
  const fmt = await r.svc.play({
    owner: "a",
    model: "mei",
    source: {
      kind: "stream",
      format: { sampleRate: 100, channels: 1, format: "s16" },
      chunks: (async function* () {})(),
    },
  });
  assert(fmt.reason!.includes("sampleRate must be"), fmt.reason);
});

Deno.test("a PCM stream at 48 kHz mono float plays as converted 16 kHz audio", async () => {
  const r = rig();
  r.svc.connected();
  async function* gen() {
    for (let k = 0; k < 10; k++) {
      const f = new Float32Array(4800); // 100 ms
      for (let i = 0; i < f.length; i++) f[i] = 0.25;
      yield new Uint8Array(f.buffer);
    }
  }
  const done = r.svc.play({
    owner: "a",
    model: "mei",
    source: {
      kind: "stream",
      format: { sampleRate: 48000, channels: 1, format: "f32" },
      chunks: gen(),
    },
  });
  await run(r.clock, 2000);
  const res = await done;
  assertEquals([res.status, res.playedMs], ["finished", 1000]);
  const mid = s16leToInt16(r.snd[10].unit.bytes.subarray(7));
  assert(mid.every((x) => Math.abs(x - 8192) <= 2), `DC level ${mid[0]}`);
});
