import { VirtualClock } from "../../runtime/clock/virtual.ts";
import { Emulator } from "../../runtime/emulator/core.ts";
import { SND_OUTPUT_LATENCY_MS } from "../../runtime/emulator/sound_out.ts";
import { encodeSnd } from "../../runtime/wire/snd.ts";
import { assert, assertEquals } from "../assert.ts";

const enc = new TextEncoder();

function setup() {
  const clock = new VirtualClock(0);
  const emu = new Emulator({ clock, currentTime: false });
  emu.connect(0, "127.0.0.1");
  return { clock, emu };
}

Deno.test("emulated SND audio plays 90 ms after the first packet, at real time, and says nothing", async () => {
  const { clock, emu } = setup();
  const out: string[] = [];
  emu.onOutput((l) => out.push(l));
  emu.receive(enc.encode("__AV_START\n__AV_SETMODEL,mei\n"), 0);
  const pcm = Uint8Array.from({ length: 3200 }, (_, i) => i & 0xff); // 100 ms
  for (const u of encodeSnd(pcm)) emu.receive(u.bytes, 0);
  await clock.advance(20);
  for (const u of encodeSnd(pcm)) emu.receive(u.bytes, 0); // queues behind
  const [run] = emu.sound.runs();
  assertEquals([run.model, run.startAt, run.endAt, run.ms], [
    "mei",
    SND_OUTPUT_LATENCY_MS,
    290,
    200,
  ]);
  assertEquals(emu.sound.pcm(0).length, 6400);
  assertEquals(emu.sound.queuedMs(clock.now()), 200);
  assertEquals(out, ["AVATAR|START"]);
  assertEquals(emu.faults, []);
});

Deno.test("a gap starts a new run; a disconnect cuts the audio still queued", async () => {
  const { clock, emu } = setup();
  emu.receive(enc.encode("__AV_SETMODEL,mei\n"), 0);
  for (const u of encodeSnd(new Uint8Array(3200))) emu.receive(u.bytes, 0);
  await clock.advance(1000);
  for (const u of encodeSnd(new Uint8Array(32000))) emu.receive(u.bytes, 0); // 1 s
  await clock.advance(300);
  emu.disconnect(0, "127.0.0.1");
  const runs = emu.sound.runs();
  assertEquals(runs.length, 2);
  assertEquals([runs[1].startAt, runs[1].cutAt, runs[1].ms], [1090, 1300, 210]);
});

Deno.test("audio without __AV_SETMODEL is discarded and reported once as a drop fault", () => {
  const { emu } = setup();
  for (let i = 0; i < 3; i++) {
    for (const u of encodeSnd(new Uint8Array(1280))) emu.receive(u.bytes, 0);
  }
  assertEquals(emu.sound.runs(), []);
  assertEquals(emu.sound.dropped.noModel, 120);
  assertEquals(emu.faults.map((f) => f.kind), ["drop"]);
  assert(emu.faults[0].explanation.includes("__AV_SETMODEL"));
});
