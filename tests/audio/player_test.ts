import { VirtualClock } from "../../runtime/clock/virtual.ts";
import { type PlayerIo, playSnd } from "../../runtime/audio/player.ts";
import { createPlayback } from "../../runtime/audio/playback.ts";
import type { WireUnit } from "../../runtime/wire/types.ts";
import { assert, assertEquals } from "../assert.ts";

function speechLike(ms: number): Uint8Array {
  // 16 kHz s16le: a 200 Hz tone switched on for 150 ms and off for 50 ms, like syllables.
  const n = ms * 16;
  const out = new Uint8Array(n * 2);
  const v = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const on = (i / 16) % 200 < 150;
    v.setInt16(2 * i, on ? Math.round(12000 * Math.sin((2 * Math.PI * 200 * i) / 16000)) : 0, true);
  }
  return out;
}

function rig() {
  const clock = new VirtualClock(1000);
  const packets: { at: number; unit: WireUnit }[] = [];
  const lines: { at: number; line: string }[] = [];
  // The peer's view: a playback model fed at arrival times.
  const peer = createPlayback();
  let maxAhead = 0;
  const io: PlayerIo = {
    clock,
    writeSnd(unit) {
      packets.push({ at: clock.now(), unit });
      peer.sent((unit.bytes.length - 7) / 32, clock.now());
      maxAhead = Math.max(maxAhead, peer.ahead(clock.now()));
      return Promise.resolve();
    },
    sendLine(type, args) {
      lines.push({ at: clock.now(), line: `${type}|${args}` });
      return Promise.resolve();
    },
  };
  return { clock, io, packets, lines, peer, maxAhead: () => maxAhead };
}

Deno.test("playSnd paces 40 ms packets in real time with at most 120 ms ahead, then finishes", async () => {
  const r = rig();
  const done = playSnd([speechLike(1000)], r.io, { model: "mei" });
  await r.clock.advance(2000);
  const res = await done;
  assertEquals(res.status, "finished");
  assertEquals(res.packets, 25);
  assertEquals(res.playedMs, 1000);
  // Three at once, then one every 40 ms.
  assertEquals(r.packets.slice(0, 4).map((p) => p.at - 1000), [0, 0, 0, 40]);
  for (let i = 3; i < r.packets.length; i++) assertEquals(r.packets[i].at - 1000, (i - 2) * 40);
  assert(r.maxAhead() <= 120, `ahead ${r.maxAhead()}`);
  assert(r.packets.every((p) => p.unit.kind === "snd" && p.unit.bytes.length === 1287));
});

Deno.test("an abort 1 s in stops sending within one packet and resolves after the tail with the played ms", async () => {
  const r = rig();
  const ac = new AbortController();
  const done = playSnd([speechLike(3000)], r.io, { model: "mei", signal: ac.signal });
  await r.clock.advance(1000);
  ac.abort({ by: "barge-in" });
  const sentAtStop = r.packets.length;
  await r.clock.advance(500);
  const res = await done;
  assertEquals(res.status, "interrupted");
  assert(r.packets.length - sentAtStop <= 1, `sent after stop: ${r.packets.length - sentAtStop}`);
  assertEquals(res.stoppedAtMs, 1000);
  assert(res.playedMs - res.stoppedAtMs! <= 120, `tail ${res.playedMs - res.stoppedAtMs!} ms`);
  assert(r.maxAhead() <= 120);
  assert(r.lines.some((l) => l.line === "LIPSYNC_STOP|mei"), "mouth closed with the voice");
});

Deno.test("lip sync from the loudness follows the audio in LIPSYNC_START segments under the line limit", async () => {
  const r = rig();
  const done = playSnd([speechLike(5000)], r.io, { model: "mei", maxLineBytes: 120 });
  await r.clock.advance(6000);
  const res = await done;
  assertEquals(res.status, "finished");
  const starts = r.lines.filter((l) => l.line.startsWith("LIPSYNC_START|mei|"));
  assert(starts.length >= 3, `lip lines: ${starts.length}`);
  assert(starts.every((l) => new TextEncoder().encode(l.line).length <= 120));
  // Each is a phone,ms list of known phones; the open/closed rhythm of the syllables shows.
  const first = starts[0].line.split("|")[2].split(",");
  assertEquals(first.slice(0, 4), ["a", "160", "N", "40"]);
  const covered = starts.map((l) =>
    l.line.split("|")[2].split(",").filter((_, i) => i % 2 === 1).reduce((n, x) => n + Number(x), 0)
  );
  const total = covered.reduce((a, b) => a + b, 0);
  assert(Math.abs(total - 5000) <= 80, `lip lines cover ${total} ms of 5000`);
  assert(!r.lines.some((l) => l.line.startsWith("LIPSYNC_STOP")), "no stop at a natural end");
});

Deno.test("given phone timings are sent as they are, cut into segments at the playback position", async () => {
  const r = rig();
  const phones = Array.from({ length: 30 }, (_, i) => ({ phone: i % 2 ? "o" : "k", ms: 100 }));
  const done = playSnd([speechLike(3000)], r.io, { model: "g", phones });
  await r.clock.advance(4000);
  await done;
  const starts = r.lines.filter((l) => l.line.startsWith("LIPSYNC_START|g|"));
  assertEquals(
    starts[0].line,
    "LIPSYNC_START|g|" + Array(20).fill(0).map((_, i) => `${i % 2 ? "o" : "k"},100`).join(","),
  );
  assertEquals(starts[1].at - starts[0].at, 2000);
  assertEquals(starts[1].line.split("|")[2].split(",").length, 20);
});

Deno.test("unknown phones and a lookahead shorter than a packet are refused before anything is sent", () => {
  const r = rig();
  let msg = "";
  try {
    playSnd([], r.io, { model: "g", phones: [{ phone: "xx", ms: 10 }] });
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.includes(`"xx" is not in MMDAgent-EX's lip table`), msg);
  try {
    playSnd([], r.io, { model: "g", lookaheadMs: 20 });
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.includes("at least one packet (40 ms)"), msg);
});

Deno.test("a slow stream underruns and resumes; an odd final byte is dropped; a source error fails", async () => {
  const r = rig();
  async function* slow() {
    yield speechLike(100);
    await r.clock.sleep(500);
    yield speechLike(100);
    yield new Uint8Array(1);
  }
  const done = playSnd(slow(), r.io, { model: "mei", lipSync: "off" });
  await r.clock.advance(2000);
  const res = await done;
  assertEquals([res.status, res.playedMs], ["finished", 200]);
  assertEquals(r.lines.length, 0);
  async function* broken() {
    yield speechLike(80);
    throw new Error("tts died");
  }
  const r2 = rig();
  const d2 = playSnd(broken(), r2.io, { model: "mei" });
  await r2.clock.advance(1000);
  const res2 = await d2;
  assertEquals([res2.status, res2.error?.message], ["failed", "tts died"]);
});
