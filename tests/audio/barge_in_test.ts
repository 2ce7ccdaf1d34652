/**
 * Audio on the speech floor (the conversation room's `claimAudio`, the real one) on a virtual
 * clock: a barge-in stops the sending at once, the tail already sent plays out, and the floor
 * moves on. Exact, since nothing here runs on real time.
 */
import { VirtualClock } from "../../runtime/clock/virtual.ts";
import { silentLogger } from "../../runtime/log/logger.ts";
import { createAudioService } from "../../runtime/audio/service.ts";
import { createConversation } from "../../runtime/conversation/conversation.ts";
import { encodeWav16 } from "../../runtime/audio/wav.ts";
import { assert, assertEquals } from "../assert.ts";
import { pacingOf } from "./pacing.ts";

async function tempWav(ms: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-barge-" });
  const rate = 24000;
  const n = Math.round((rate * ms) / 1000);
  const s = new Int16Array(n * 2);
  for (let i = 0; i < n; i++) {
    s[2 * i] = s[2 * i + 1] = Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / rate));
  }
  await Deno.writeFile(`${dir}/clip.wav`, encodeWav16(s, rate, 2));
  return `${dir}/clip.wav`;
}

/** Lets real I/O (the file read) and promise chains run, then moves virtual time in 10 ms steps. */
async function run(clock: VirtualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 10) {
    await new Promise((r) => setTimeout(r, 0));
    await clock.advance(10);
  }
}

function rig() {
  const clock = new VirtualClock(0);
  const snd: { at: number; ms: number }[] = [];
  const lines: string[] = [];
  const conv = createConversation({
    clock,
    write: (line) => {
      lines.push(line);
      return Promise.resolve(true);
    },
    check: () => undefined,
  });
  const svc = createAudioService({
    clock,
    log: silentLogger,
    writeSnd: (unit) => {
      snd.push({ at: clock.now(), ms: (unit.bytes.length - 7) / 32 });
      return Promise.resolve();
    },
    sendLine: (line) => {
      lines.push(line);
      return Promise.resolve(undefined);
    },
    claimAudio: (c) => conv.claimAudio(c),
    maxLineBytes: () => 1800,
  });
  conv.connected("c1");
  svc.connected();
  return { clock, conv, svc, snd, lines };
}

Deno.test("a barge-in 1 s into a clip stops the sending within one packet; the tail stays within the lookahead", async () => {
  const path = await tempWav(3000);
  try {
    const r = rig();
    const done = r.svc.play({ owner: "bot", model: "mei", source: { kind: "file", path } });
    // Until the first packet: the file is read for real, off the virtual clock.
    for (let i = 0; i < 500 && r.snd.length === 0; i++) {
      await new Promise((res) => setTimeout(res, 2));
    }
    const t0 = r.snd[0].at;
    await run(r.clock, 1000);
    const bargeAt = r.clock.now();
    assertEquals(bargeAt - t0, 1000);
    r.conv.inbound("RECOG_EVENT_START", [], false);
    const sentBefore = r.snd.length;
    await run(r.clock, 500);
    const res = await done;
    // Not one packet after the barge-in (the stop is synchronous with the user's start).
    assertEquals(r.snd.filter((p) => p.at > bargeAt).length, 0);
    assertEquals(r.snd.length, sentBefore);
    assertEquals([res.status, res.by], ["interrupted", "barge-in"]);
    // What played: everything sent, which is the position at the stop plus at most the lookahead.
    assert(res.stoppedAtMs !== undefined);
    assertEquals(res.stoppedAtMs, 1000);
    assert(res.playedMs - res.stoppedAtMs! <= 120, `tail ${res.playedMs - res.stoppedAtMs!} ms`);
    assert(pacingOf(r.snd, 120).maxAheadMs <= 120);
    // The mouth closes with the voice.
    assert(r.lines.includes("LIPSYNC_STOP|mei"), r.lines.join("\n"));

    // The floor is free again: the next clip plays to its end.
    const next = r.svc.play({ owner: "bot", model: "mei", source: { kind: "file", path } });
    await run(r.clock, 200);
    r.conv.inbound("RECOG_EVENT_STOP", ["hello"], false);
    await run(r.clock, 3500);
    const res2 = await next;
    assertEquals([res2.status, res2.playedMs], ["finished", 3000]);
  } finally {
    await Deno.remove(path.replace(/\/clip\.wav$/, ""), { recursive: true });
  }
});

Deno.test("a second clip for the avatar waits for the first one's tail; a clip of an ended turn is refused", async () => {
  const path = await tempWav(500);
  try {
    const r = rig();
    const a = r.svc.play({ owner: "one", model: "mei", source: { kind: "file", path } });
    const b = r.svc.play({ owner: "two", model: "mei", source: { kind: "file", path } });
    for (let i = 0; i < 500 && r.snd.length === 0; i++) {
      await new Promise((res) => setTimeout(res, 2));
    }
    await run(r.clock, 1500);
    const [ra, rb] = await Promise.all([a, b]);
    assertEquals([ra.status, rb.status], ["finished", "finished"]);
    // 25 packets of 40 ms: 12.5 per clip; never two clips' audio ahead at once.
    assert(pacingOf(r.snd, 120).maxAheadMs <= 120, `${pacingOf(r.snd, 120).maxAheadMs}`);
    assertEquals(r.snd.reduce((n, p) => n + p.ms, 0), 1000);

    r.conv.inbound("RECOG_EVENT_START", [], false);
    r.conv.inbound("RECOG_EVENT_STOP", ["hi"], false);
    r.conv.inbound("RECOG_EVENT_START", [], false);
    const old = await r.svc.play({
      owner: "one",
      model: "mei",
      turn: 1,
      source: { kind: "file", path },
    });
    assertEquals(old.status, "refused");
  } finally {
    await Deno.remove(path.replace(/\/clip\.wav$/, ""), { recursive: true });
  }
});

Deno.test("an uninterruptible clip plays through a barge-in", async () => {
  const path = await tempWav(1000);
  try {
    const r = rig();
    const done = r.svc.play({
      owner: "bot",
      model: "mei",
      uninterruptible: true,
      source: { kind: "file", path },
    });
    for (let i = 0; i < 500 && r.snd.length === 0; i++) {
      await new Promise((res) => setTimeout(res, 2));
    }
    await run(r.clock, 500);
    r.conv.inbound("RECOG_EVENT_START", [], false);
    await run(r.clock, 1000);
    const res = await done;
    assertEquals([res.status, res.playedMs], ["finished", 1000]);
  } finally {
    await Deno.remove(path.replace(/\/clip\.wav$/, ""), { recursive: true });
  }
});
