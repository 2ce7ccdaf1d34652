// The clock bot's own test: its timers run on the virtual clock, so minutes pass in no time.
import { createTestRuntime } from "../../testing.ts";

const MANIFEST = new URL("../bots.yaml", import.meta.url);
const DONE = "SYNTH_START|mei|mei_voice_normal|Your 3 minutes timer is done!";

Deno.test("clock's timer fires once the clock has advanced by its time, not before", async () => {
  await using rt = await createTestRuntime({ bots: ["clock"], manifest: MANIFEST });
  await rt.say("set a timer for 3 minutes");
  if (!rt.sent().some((l) => l.endsWith("|Timer set for 3 minutes."))) {
    throw new Error(`no confirmation: ${JSON.stringify(rt.sent())}`);
  }
  await rt.advance(3 * 60_000 - 1);
  if (rt.sent().includes(DONE)) throw new Error("the timer fired early");
  await rt.advance(1);
  if (!rt.sent().includes(DONE)) throw new Error(`the timer did not fire: ${rt.sent()}`);
});

Deno.test("clock tells the time of its clock", async () => {
  await using rt = await createTestRuntime({
    bots: ["clock"],
    manifest: MANIFEST,
    startTime: new Date(2025, 0, 1, 9, 5).getTime(),
  });
  await rt.say("what time is it");
  if (!rt.sent().some((l) => l.endsWith("|It is 9:05."))) {
    throw new Error(`wrong time: ${JSON.stringify(rt.sent())}`);
  }
});
