/**
 * The test kit's conversation tools with the real greeter bot (a sandboxed process) on the virtual
 * clock: the user's speech and a barge-in at a chosen virtual time, each turn's metrics, calls made
 * concurrently running in call order, and scenario files played against the bots with their
 * latency budgets (`expect … within`) and forbidden lines (`absent`) in virtual time.
 */
import { createTestRuntime } from "../../testing.ts";
import { parseScenario } from "../../runtime/emulator/scenario.ts";
import { assert, assertEquals } from "../assert.ts";

const GREETING = "SYNTH_START|mei|mei_voice_normal|Hello! Nice to meet you.";

Deno.test("test kit: say, advance and userStarts made at once run in call order: the barge-in lands 300 ms into the answer and the turn's metrics show it", async () => {
  await using rt = await createTestRuntime({ bots: ["greeter"] });
  const t0 = rt.now();
  await Promise.all([rt.say("hello"), rt.advance(300), rt.userStarts()]);
  const sent = rt.sent();
  assert(sent.includes(GREETING), JSON.stringify(sent));
  assert(sent.indexOf("SYNTH_STOP|mei") > sent.indexOf(GREETING), JSON.stringify(sent));
  const stop = rt.records().find((r) => r.dir === "out" && r.line === "SYNTH_STOP|mei")!;
  assertEquals(stop.t - t0, 300, "the stop went out at the virtual time of the barge-in");
  const { turns } = rt.conversation();
  assertEquals(turns[0].text, "hello");
  assert(turns[0].interrupted, JSON.stringify(turns[0]));
  // The emulator's voice starts 100 ms after the command (speech.md §2).
  assertEquals(turns[0].firstAudioAt! - turns[0].firstWireAt!, 100);
  assertEquals(turns.length, 2, "the barge-in started turn 2");
});

Deno.test("test kit: play runs greet.yaml against the greeter on the virtual clock and passes", async () => {
  await using rt = await createTestRuntime({ bots: ["greeter"] });
  const r = await rt.play(new URL("../../examples/scenarios/greet.yaml", import.meta.url));
  assertEquals(r.failures, []);
  assert(r.transcript.some((e) => e.line === GREETING), JSON.stringify(r.transcript));
});

Deno.test("test kit: a scenario's latency budget is judged in virtual time: first audio within 150 ms passes, within 50 ms fails saying it came after 0.1 s", async () => {
  const budget = (ms: number) =>
    parseScenario(
      `steps:\n  - at: 1s\n    say: hello\n  - expect: SYNTH_EVENT_START|mei\n    within: ${ms}ms\n`,
      "budget.yaml",
    );
  await using rt = await createTestRuntime({ bots: ["greeter"] });
  assertEquals((await rt.play(budget(150))).failures, []);
  await rt.advance(10_000);
  const late = await rt.play(budget(50));
  assertEquals(late.failures.map((f) => f.where), ["budget.yaml:4"]);
  assert(
    late.failures[0].message.includes("but it came after 0.1 s, 50 ms over the budget"),
    late.failures[0].message,
  );
});

Deno.test("test kit: an absent line is checked against the bots: saying hello once passes, twice makes the greeter say 'again' and fails at the absent step", async () => {
  const text = (times: number) =>
    "steps:\n  - absent: /^SYNTH_START\\|.*again/\n    within: 20s\n" +
    Array.from({ length: times }, (_, i) => `  - at: ${1 + 5 * i}s\n    say: hello\n`).join("");
  await using rt = await createTestRuntime({ bots: ["greeter"] });
  assertEquals((await rt.play(parseScenario(text(1), "once.yaml"))).failures, []);
  await using rt2 = await createTestRuntime({ bots: ["greeter"] });
  const twice = await rt2.play(parseScenario(text(2), "twice.yaml"));
  assertEquals(twice.failures.map((f) => f.where), ["twice.yaml:2"]);
  assert(twice.failures[0].message.includes("Hello again!"), twice.failures[0].message);
});
