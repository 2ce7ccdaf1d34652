import { assert, assertEquals } from "../assert.ts";
import { estimateLipBytes, LIP_BUDGET } from "../../runtime/conversation/wire_text.ts";
import { createSim } from "./sim.ts";

const starts = (lines: string[]) => lines.filter((l) => l.startsWith("SYNTH_START|"));

Deno.test("one utterance per model at a time: the next starts only after the previous end event", async () => {
  const s = createSim();
  const a = s.conv.speak({ owner: "a", model: "mei", voice: "v", text: "First one." });
  const b = s.conv.speak({ owner: "a", model: "mei", voice: "v", text: "Second one." });
  assertEquals(starts(s.lines()), ["SYNTH_START|mei|v|First one."]);
  await s.clock.advance(400);
  assertEquals(starts(s.lines()).length, 1, "second written while the first speaks");
  await s.clock.advance(1000);
  assertEquals(starts(s.lines()), [
    "SYNTH_START|mei|v|First one.",
    "SYNTH_START|mei|v|Second one.",
  ]);
  const ra = await a.result;
  assertEquals(ra.status, "finished");
  assertEquals(ra.text, "First one.");
  assertEquals(ra.spokenMs, 600);
  await s.clock.advance(2000);
  assertEquals((await b.result).text, "Second one.");
});

Deno.test("two models speak at once: the floor is per model", async () => {
  const s = createSim();
  s.conv.speak({ owner: "a", model: "mei", voice: "v", text: "Hi." });
  s.conv.speak({ owner: "a", model: "ai", voice: "v", text: "Hi." });
  assertEquals(starts(s.lines()).length, 2);
  await s.clock.advance(1000);
});

Deno.test("first claim wins the turn: another bot's answer is refused and names the winner", async () => {
  const s = createSim();
  s.inject("RECOG_EVENT_START");
  s.inject("RECOG_EVENT_STOP|hello");
  const a = s.conv.speak({ owner: "greeter", model: "mei", voice: "v", text: "Hello!", turn: 1 });
  const b = s.conv.speak({ owner: "qa", model: "mei", voice: "v", text: "Hi there!", turn: 1 });
  const rb = await b.result;
  assertEquals(rb.status, "refused");
  assertEquals(rb.by, "floor-taken");
  assertEquals(rb.bot, "greeter");
  const raw = s.conv.submitLine("SYNTH_START|mei|v|Me too", "clock", 1);
  assert(!raw.ok && raw.refusal.code === "floor-taken");
  await s.clock.advance(2000);
  assertEquals((await a.result).status, "finished");
  assertEquals(starts(s.lines()), ["SYNTH_START|mei|v|Hello!"]);
});

Deno.test("queue policy: every bot answers, in order, and each call resolves on its own utterance", async () => {
  const s = createSim({ policy: { floor: "queue" } });
  s.inject("RECOG_EVENT_STOP|hello");
  const a = s.conv.speak({ owner: "a", model: "mei", voice: "v", text: "Aaaa.", turn: 1 });
  const b = s.conv.speak({ owner: "b", model: "mei", voice: "v", text: "Bbbbbbbbbb.", turn: 1 });
  await s.clock.advance(400);
  const ra = await a.result;
  assertEquals([ra.status, ra.text], ["finished", "Aaaa."]);
  assertEquals(starts(s.lines()).length, 2);
  await s.clock.advance(2000);
  const rb = await b.result;
  assertEquals([rb.status, rb.text, rb.spokenMs], ["finished", "Bbbbbbbbbb.", 660]);
});

Deno.test("priority policy: a higher-priority bot cuts a lower one's answer of the same turn", async () => {
  const s = createSim({ policy: { floor: "priority" }, speakers: { boss: { priority: 5 } } });
  s.inject("RECOG_EVENT_STOP|hello");
  const low = s.conv.speak({
    owner: "low",
    model: "mei",
    voice: "v",
    text: "A long answer here.",
    turn: 1,
  });
  await s.clock.advance(200);
  const high = s.conv.speak({ owner: "boss", model: "mei", voice: "v", text: "Boss.", turn: 1 });
  await s.clock.advance(50);
  const rl = await low.result;
  assertEquals([rl.status, rl.by, rl.bot], ["interrupted", "priority", "boss"]);
  await s.clock.advance(2000);
  assertEquals((await high.result).status, "finished");
  const late = await s.conv.speak({ owner: "low", model: "mei", voice: "v", text: "x", turn: 1 })
    .result;
  assertEquals([late.status, late.by], ["refused", "floor-taken"]);
  const lines = s.lines();
  assert(lines.indexOf("SYNTH_STOP|mei") < lines.indexOf("SYNTH_START|mei|v|Boss."));
});

Deno.test("barge-in stops the speaking sentence, drops the rest, ends the turn; nothing of it goes out after", async () => {
  const s = createSim();
  s.inject("RECOG_EVENT_STOP|tell me five things");
  const st = s.conv.stream({ owner: "llm", model: "mei", voice: "v", turn: 1 });
  for (const n of ["One is here.", " Two is here.", " Three.", " Four.", " Five."]) st.push(n);
  st.end();
  await s.clock.advance(800); // sentence one done (50 + 12*60 ms), two started
  assertEquals(starts(s.lines()).length, 2);
  const barge = s.clock.now();
  s.inject("RECOG_EVENT_START");
  assertEquals(s.written.at(-1), { at: barge, line: "SYNTH_STOP|mei", owner: "llm" });
  assertEquals(s.ended, [{ turn: 1, by: "next-turn", at: barge }]);
  const r = await st.result;
  assertEquals([r.status, r.by, r.utterances], ["interrupted", "barge-in", 2]);
  s.inject("RECOG_EVENT_STOP|wait");
  await s.clock.advance(5000);
  assertEquals(starts(s.lines()), [
    "SYNTH_START|mei|v|One is here.",
    "SYNTH_START|mei|v|Two is here.",
  ]);
  const late = s.conv.speak({ owner: "llm", model: "mei", voice: "v", text: "Three.", turn: 1 });
  assertEquals((await late.result).by, "turn-ended");
  assertEquals(s.conv.turnCheck(1, "llm")?.code, "turn-ended");
  assertEquals(s.conv.turnCheck(2, "llm"), undefined);
  const t1 = s.conv.turns()[0];
  assertEquals([t1.interrupted, t1.dropped], [true, 3]);
});

Deno.test("user speech holds the floor: turn-less speech waits until the user's result", async () => {
  const s = createSim();
  s.inject("RECOG_EVENT_START");
  s.conv.speak({ owner: "clock", model: "mei", voice: "v", text: "It is noon." });
  await s.clock.advance(3000);
  assertEquals(starts(s.lines()), []);
  s.inject("RECOG_EVENT_STOP|what");
  assertEquals(starts(s.lines()), ["SYNTH_START|mei|v|It is noon."]);
});

Deno.test("false interruption: an empty result or an echo of the avatar resumes the cut sentence", async () => {
  for (const heard of ["", "is a long"]) {
    const s = createSim();
    s.conv.speak({ owner: "a", model: "mei", voice: "v", text: "This is a long sentence to say." });
    await s.clock.advance(300);
    s.inject("RECOG_EVENT_START");
    s.inject(`RECOG_EVENT_STOP|${heard}`);
    await s.clock.advance(100);
    const t = s.conv.turns()[0];
    assertEquals(t.falseInterruption, true, `heard ${JSON.stringify(heard)}`);
    assertEquals(s.ended.at(-1)?.by, "false-interruption");
    assertEquals(starts(s.lines()), [
      "SYNTH_START|mei|v|This is a long sentence to say.",
      "SYNTH_START|mei|v|This is a long sentence to say.",
    ]);
  }
  const s = createSim({ policy: { falseInterruption: "drop" } });
  s.conv.speak({ owner: "a", model: "mei", voice: "v", text: "This is a long sentence to say." });
  await s.clock.advance(300);
  s.inject("RECOG_EVENT_START");
  s.inject("RECOG_EVENT_STOP|");
  await s.clock.advance(3000);
  assertEquals(starts(s.lines()).length, 1);
});

Deno.test("finish-sentence and ignore policies, and after N ms of user speech", async () => {
  const s = createSim({
    speakers: { f: { bargeIn: "finish-sentence" }, i: { bargeIn: "ignore" } },
  });
  const f = s.conv.speak({
    owner: "f",
    model: "mei",
    voice: "v",
    text: "Finish this. And not this." + " x".repeat(300),
  });
  const i = s.conv.speak({ owner: "i", model: "ai", voice: "v", text: "Ignore the user." });
  await s.clock.advance(100);
  s.inject("RECOG_EVENT_START");
  assert(!s.lines().includes("SYNTH_STOP|mei") && !s.lines().includes("SYNTH_STOP|ai"));
  await s.clock.advance(3000);
  assertEquals((await i.result).status, "finished");
  const rf = await f.result;
  assertEquals([rf.status, rf.by, rf.utterances], ["interrupted", "barge-in", 1]);

  const a = createSim({ policy: { bargeIn: { afterMs: 500 } } });
  a.conv.speak({ owner: "x", model: "mei", voice: "v", text: "A rather long sentence to cut." });
  await a.clock.advance(100);
  a.inject("RECOG_EVENT_START");
  await a.clock.advance(300);
  assert(!a.lines().includes("SYNTH_STOP|mei"), "stopped before 500 ms of user speech");
  await a.clock.advance(200);
  assertEquals(a.lines().at(-1), "SYNTH_STOP|mei");

  const b = createSim({ policy: { bargeIn: { afterMs: 500 } } });
  b.conv.speak({ owner: "x", model: "mei", voice: "v", text: "A rather long sentence to cut." });
  await b.clock.advance(100);
  b.inject("RECOG_EVENT_START");
  b.inject("RECOG_EVENT_STOP|stop");
  assertEquals(b.lines().at(-1), "SYNTH_STOP|mei", "a real short utterance stops it at once");
});

Deno.test("no voice: timed-out with the reason, and the next utterance gives up sooner", async () => {
  const s = createSim({ voice: false });
  const a = s.conv.speak({ owner: "a", model: "mei", voice: "v", text: "Hello." });
  const b = s.conv.speak({ owner: "a", model: "mei", voice: "v", text: "Again." });
  await s.clock.advance(5000);
  const ra = await a.result;
  assertEquals([ra.status, ra.by], ["timed-out", "voice"]);
  assert(ra.reason!.includes("no voice installed"));
  await s.clock.advance(1500);
  assertEquals((await b.result).status, "timed-out");
});

Deno.test("a stop sent while the voice prepares is repeated once its LIPSYNC_START shows", async () => {
  const s = createSim();
  const a = s.conv.speak({ owner: "a", model: "mei", voice: "v", text: "Hello there." });
  await s.clock.advance(10); // written, not yet started
  s.conv.stopOwner("a");
  await s.clock.advance(100);
  assertEquals(s.lines().filter((l) => l === "SYNTH_STOP|mei").length, 2);
  const r = await a.result;
  assertEquals([r.status, r.by], ["interrupted", "stop"]);
});

Deno.test("a long text goes out in parts under the lip-sync budget, one after another", async () => {
  const s = createSim({ charMs: 10 });
  const text = Array.from({ length: 15 }, (_, i) => `Sentence number ${i} has some words in it.`)
    .join(" ");
  const r = s.conv.speak({ owner: "a", model: "mei", voice: "v", text });
  await s.clock.advance(60_000);
  const res = await r.result;
  assertEquals(res.status, "finished");
  assert(res.utterances >= 2, `${res.utterances} parts`);
  for (const l of starts(s.lines())) assert(estimateLipBytes(l.split("|")[3]) <= LIP_BUDGET);
  assertEquals(res.text, text);
});

Deno.test("speech that is not ours (an FST's) holds the floor until its end event", async () => {
  const s = createSim();
  s.inject("SYNTH_EVENT_START|mei");
  s.conv.speak({ owner: "a", model: "mei", voice: "v", text: "Mine." });
  assertEquals(starts(s.lines()), []);
  assertEquals(s.conv.avatar().models[0].speaking?.owner, "(not mmdbot)");
  s.inject("SYNTH_EVENT_STOP|mei");
  await s.clock.advance(0);
  assertEquals(starts(s.lines()), ["SYNTH_START|mei|v|Mine."]);
});

Deno.test("raw SYNTH_START joins the floor; raw SYNTH_STOP stops whoever speaks", async () => {
  const s = createSim();
  const v1 = s.conv.submitLine("SYNTH_START|mei|v|One.", "raw");
  const v2 = s.conv.submitLine("SYNTH_START|mei|v|Two.", "raw");
  assert(v1.ok && v2.ok && v2.status === "queued");
  assertEquals(starts(s.lines()), ["SYNTH_START|mei|v|One."]);
  await s.clock.advance(100);
  s.conv.submitLine("SYNTH_STOP|mei", "other");
  await s.clock.advance(100);
  assert(v1.ok);
  const r1 = await v1.result!;
  assertEquals([r1.status, r1.by, r1.bot], ["interrupted", "stop", "other"]);
  assertEquals(starts(s.lines()).length, 2);
});

Deno.test("avatar mirror: models, motions, timers, variables, speaking; a disconnect forgets them", async () => {
  const s = createSim();
  s.conv.connected("c1");
  for (const l of ["MODEL_EVENT_ADD|mei", "MOTION_EVENT_ADD|mei|wave", "TIMER_EVENT_START|t1"]) {
    s.inject(l);
  }
  s.conv.inbound("VALUE_SET", ["x", "42"], true);
  s.conv.speak({ owner: "a", model: "mei", voice: "v", text: "Hi." });
  await s.clock.advance(60);
  const st = s.conv.avatar();
  assertEquals(st.connected, true);
  assertEquals(st.models[0].alias, "mei");
  assertEquals(st.models[0].motions, ["wave"]);
  assertEquals(st.models[0].speaking?.owner, "a");
  assertEquals(st.timers, [{ name: "t1", since: 0 }]);
  assertEquals(st.variables, { x: "42" });
  s.conv.disconnected();
  const after = s.conv.avatar();
  assertEquals([after.connected, after.timers.length, Object.keys(after.variables).length], [
    false,
    0,
    0,
  ]);
  assertEquals(after.models.every((m) => !m.speaking), true);
});

Deno.test("turn metrics: user end → first command → wire → first audio; percentiles in the summary", async () => {
  const s = createSim();
  s.inject("RECOG_EVENT_START");
  await s.clock.advance(500);
  s.inject("RECOG_EVENT_STOP|hi");
  await s.clock.advance(30);
  s.conv.speak({ owner: "a", model: "mei", voice: "v", text: "Hello.", turn: 1 });
  await s.clock.advance(2000);
  const [t] = s.conv.turns();
  assertEquals([t.startedAt, t.userEndAt, t.firstCommandAt, t.firstWireAt, t.firstAudioAt], [
    0,
    500,
    530,
    530,
    581,
  ]);
  assertEquals(t.endAt, 581 + 360);
  const m = s.conv.metrics();
  assertEquals([m.turns, m.toFirstCommandMs.p50, m.toAudioMs.p95], [1, 30, 81]);
});

Deno.test("an audio clip gets the floor after speech, is told to stop by barge-in, reports what played", async () => {
  const s = createSim();
  s.conv.speak({ owner: "a", model: "mei", voice: "v", text: "Before." });
  let grant: AbortSignal | undefined;
  const h = s.conv.claimAudio({ model: "mei", owner: "snd", start: (g) => (grant = g.signal) });
  assertEquals(grant, undefined);
  await s.clock.advance(600);
  assert(grant && !grant.aborted);
  s.inject("RECOG_EVENT_START");
  assert(grant.aborted);
  h.finish({ status: "interrupted", playedMs: 120 });
  const r = await h.result;
  assertEquals([r.status, r.by, r.spokenMs], ["interrupted", "barge-in", 120]);
});
