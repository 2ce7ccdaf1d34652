import { assert, assertEquals } from "../assert.ts";
import { Emulator } from "../../runtime/emulator/core.ts";
import {
  describeLine,
  lineMatcher,
  loadScenario,
  parseDuration,
  parseScenario,
  runScenario,
  type ScenarioError,
  type ScenarioResult,
} from "../../runtime/emulator/scenario.ts";
import { VirtualClock } from "../../runtime/clock/virtual.ts";

const enc = new TextEncoder();
const GREET = new URL("../../examples/scenarios/greet.yaml", import.meta.url).pathname;
const MENU = new URL("../../examples/scenarios/menu.yaml", import.meta.url).pathname;

function problemsOf(text: string): string[] {
  try {
    parseScenario(text, "s.yaml");
  } catch (e) {
    return (e as ScenarioError).problems.map((p) => `${p.file}:${p.line}: ${p.message}`);
  }
  throw new Error("expected a ScenarioError");
}

Deno.test("scenario parse: an unknown key is reported at its file:line", () => {
  const got = problemsOf("name: x\nsteps:\n  - at: 1s\n    say: hi\n  - at: 2s\n    shout: hi\n");
  assertEquals(got.length, 1);
  assert(got[0].startsWith("s.yaml:6: step 2"), got[0]);
});

Deno.test("scenario parse: a bad duration, two actions, and within without expect each point at their line", () => {
  const got = problemsOf(
    "steps:\n" +
      "  - at: soon\n    say: a\n" +
      "  - say: b\n    key: c\n" +
      "  - key: d\n    within: 1s\n",
  );
  assertEquals(got.length, 3, got.join("\n"));
  assert(got[0].startsWith("s.yaml:2: step 1: at:") && got[0].includes("1.5s"), got[0]);
  assert(got[1].startsWith("s.yaml:4: step 2 has 2 actions"), got[1]);
  assert(got[2].startsWith("s.yaml:7: step 3: within"), got[2]);
});

Deno.test("scenario parse: YAML syntax errors and a missing steps list are reported with a line", () => {
  assert(problemsOf("steps:\n  - say: [unclosed\n")[0].startsWith("s.yaml:"));
  const missing = problemsOf("name: x\n");
  assert(missing[0].startsWith("s.yaml:1:") && missing[0].includes("steps"), missing[0]);
  const bad = problemsOf("steps:\n  - expect: /a(/\n");
  assert(bad[0].startsWith("s.yaml:2: step 1: bad regular expression"), bad[0]);
});

Deno.test("scenario parse: times, actions and an unreadable file", async () => {
  const s = parseScenario(
    'steps:\n  - at: 1.5s\n    say: hi\n  - after: 500ms\n    inject: "MOTION_ADD|mei|a|b.vmd"\n' +
      "  - prompt: 1\n  - expect: KEY|a\n    within: 2s\n  - end: true\n",
    "t.yaml",
  );
  assertEquals(s.name, "t");
  assertEquals(s.steps.map((x) => [x.line, x.at, x.after, x.action.kind]), [
    [2, 1500, undefined, "say"],
    [4, undefined, 500, "inject"],
    [6, undefined, undefined, "prompt"],
    [7, undefined, undefined, "expect"],
    [9, undefined, undefined, "end"],
  ]);
  assertEquals(s.steps[1].action, { kind: "inject", type: "MOTION_ADD", args: "mei|a|b.vmd" });
  assertEquals(parseDuration("2m"), 120000);
  assertEquals(parseDuration(3), 3000);
  assertEquals(parseDuration("fast"), undefined);
  let err: unknown;
  await loadScenario("/nonexistent/x.yaml").catch((e) => err = e);
  assert(String(err).includes("/nonexistent/x.yaml:1:1: cannot read the scenario"));
});

Deno.test("scenario expect: a plain line matches only itself ('|' is literal), /…/ is a regex", () => {
  const plain = lineMatcher("KEY|a") as (l: string) => boolean;
  assert(plain("KEY|a") && !plain("KEY") && !plain("KEY|ab"));
  const re = lineMatcher("/^SYNTH_START\\|/") as (l: string) => boolean;
  assert(re("SYNTH_START|mei|v|hi") && !re("SYNTH_STOP|mei"));
});

Deno.test("describeLine: the conversation reads as user and avatar lines", () => {
  assertEquals(describeLine("RECOG_EVENT_STOP|hello"), "user: hello");
  assertEquals(describeLine("SYNTH_START|mei|mei_voice_normal|Hi|there"), "avatar says: Hi|there");
  assertEquals(describeLine("RECOG_EVENT_START"), undefined);
  assertEquals(describeLine("MOTION_EVENT_ADD|mei|a"), "MOTION_EVENT_ADD|mei|a");
});

/** An emulator with one peer whose "bot" answers through `reply` (bytes as a peer would send). */
function rig(reply: (line: string) => string | undefined) {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1, 9, 0));
  const emu = new Emulator({ clock, currentTime: false });
  emu.connect(0, "127.0.0.1");
  emu.onOutput((line) => {
    const answer = reply(line);
    if (answer) clock.setTimeout(() => emu.receive(enc.encode(answer), 0), 100);
  });
  return { clock, emu };
}

async function drive(clock: VirtualClock, p: Promise<ScenarioResult>): Promise<ScenarioResult> {
  let done = false;
  p.finally(() => done = true);
  for (let i = 0; i < 2000 && !done; i++) await clock.advance(50);
  return await p;
}

Deno.test("runScenario: greet.yaml on a virtual clock gets the answer and the voice's end", async () => {
  const { clock, emu } = rig((l) =>
    l === "RECOG_EVENT_STOP|hello" ? "SYNTH_START|mei|mei_voice_normal|Hello! Nice\n" : undefined
  );
  const start = clock.now();
  const result = await drive(clock, runScenario(emu, await loadScenario(GREET), clock));
  assertEquals(result.failures, []);
  assert(result.ok);
  const said = result.transcript.find((e) => e.line === "RECOG_EVENT_STOP|hello")!;
  assertEquals(said.at, 1000, "say at 1s");
  const lines = result.transcript.map((e) => describeLine(e.line)).filter((x) => x);
  assertEquals(lines.slice(0, 3), [
    "user: hello",
    "avatar says: Hello! Nice",
    "SYNTH_EVENT_START|mei",
  ]);
  assert(lines.includes("SYNTH_EVENT_STOP|mei"));
  assert(clock.now() - start < 10000, "ended at end: true, not at a timeout");
  emu.close();
});

Deno.test("runScenario: an expect that never comes fails with the step's file:line and the last lines", async () => {
  const { clock, emu } = rig(() => undefined);
  const result = await drive(clock, runScenario(emu, await loadScenario(GREET), clock));
  assert(!result.ok);
  assertEquals(result.failures.length, 1);
  assertEquals(result.failures[0].where, `${GREET}:10`);
  assert(result.failures[0].message.includes("within 3 s"), result.failures[0].message);
  assert(result.failures[0].message.includes("RECOG_EVENT_STOP|hello"));
  emu.close();
});

Deno.test("runScenario: menu.yaml picks the prompt item, presses a key and hears the qa answer", async () => {
  const { clock, emu } = rig((l) =>
    l.startsWith("RECOG_EVENT_STOP|") && l.includes("weather")
      ? "SYNTH_START|mei|mei_voice_normal|I hope the sun is shining\n"
      : undefined
  );
  const result = await drive(clock, runScenario(emu, await loadScenario(MENU), clock));
  assertEquals(result.failures, []);
  const lines = result.transcript.map((e) => e.line);
  assert(
    lines.indexOf("PROMPT_EVENT_SELECTED|0") > lines.indexOf(
      "PROMPT_SHOW|" +
        "What shall we talk about?|weather|time",
    ),
  );
  assert(lines.includes("KEY|a"));
  emu.close();
});

Deno.test("runScenario: picking a prompt when none is shown fails at that step", async () => {
  const { clock, emu } = rig(() => undefined);
  const s = parseScenario("steps:\n  - at: 1s\n    prompt: 0\n", "p.yaml");
  const result = await drive(clock, runScenario(emu, s, clock));
  assertEquals(result.failures, [{
    where: "p.yaml:2",
    message: "no prompt with item 0 is on screen",
  }]);
  emu.close();
});

/** A rig whose "bot" answers `hello` after `ms`, then says sorry 3 s later. */
function slowRig(ms: number) {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1, 9, 0));
  const emu = new Emulator({ clock, currentTime: false });
  emu.connect(0, "127.0.0.1");
  emu.onOutput((line) => {
    if (line !== "RECOG_EVENT_STOP|hello") return;
    clock.setTimeout(() => emu.receive(enc.encode("MESSAGE|answer\n"), 0), ms);
    clock.setTimeout(() => emu.receive(enc.encode("MESSAGE|sorry\n"), 0), ms + 3000);
  });
  return { clock, emu };
}

const BUDGET =
  "steps:\n  - at: 1s\n    say: hello\n  - expect: MESSAGE|answer\n    within: 800ms\n";

Deno.test("scenario within: an answer inside its latency budget passes; a late one fails naming the step, how late it came and the line", async () => {
  {
    const { clock, emu } = slowRig(700);
    const r = await drive(clock, runScenario(emu, parseScenario(BUDGET, "b.yaml"), clock));
    assertEquals(r.failures, []);
    emu.close();
  }
  const { clock, emu } = slowRig(1100);
  const r = await drive(clock, runScenario(emu, parseScenario(BUDGET, "b.yaml"), clock));
  assertEquals(r.failures.length, 1);
  assertEquals(r.failures[0].where, "b.yaml:4");
  assertEquals(
    r.failures[0].message,
    "expected a line equal to MESSAGE|answer within 0.8 s, but it came after 1.1 s, 300 ms over " +
      "the budget:\n    MESSAGE|answer",
  );
  emu.close();
});

Deno.test("scenario absent: a forbidden line inside its window fails at once with the step's file:line, when it came and the line", async () => {
  const { clock, emu } = slowRig(500);
  const s = parseScenario(
    "steps:\n  - at: 1s\n    say: hello\n  - absent: /sorry/\n    within: 5s\n" +
      "  - expect: MESSAGE|answer\n  - expect: MESSAGE|never\n    within: 60s\n",
    "a.yaml",
  );
  const r = await drive(clock, runScenario(emu, s, clock));
  assertEquals(r.failures.length, 1, JSON.stringify(r.failures));
  assertEquals(r.failures[0].where, "a.yaml:4");
  assertEquals(
    r.failures[0].message,
    "a line matching /sorry/ must not come within 5 s, but one came at +4.5 s, 3.5 s after this " +
      "step:\n    MESSAGE|sorry",
  );
  // It stopped when the line came, not at the next expect's 60 s budget.
  assert(r.transcript.at(-1)!.at < 10_000, `ran on to ${r.transcript.at(-1)!.at}`);
  emu.close();
});

Deno.test("scenario absent: a window that closes before the line comes passes, and the scenario waits for an open window before it ends", async () => {
  const { clock, emu } = slowRig(500);
  const s = parseScenario(
    "steps:\n  - at: 1s\n    say: hello\n  - absent: /sorry/\n    within: 3s\n  - end: true\n",
    "w.yaml",
  );
  const t0 = clock.now();
  const r = await drive(clock, runScenario(emu, s, clock));
  assertEquals(r.failures, []);
  assert(clock.now() - t0 >= 4000, "it waited for the 3 s window after the step at 1 s");
  // The same window one second longer sees the sorry at +4.5 s.
  const { clock: c2, emu: e2 } = slowRig(500);
  const longer = parseScenario(
    "steps:\n  - at: 1s\n    say: hello\n  - absent: /sorry/\n    within: 4s\n  - end: true\n",
    "w.yaml",
  );
  const r2 = await drive(c2, runScenario(e2, longer, c2));
  assertEquals(r2.failures.map((f) => f.where), ["w.yaml:4"]);
  emu.close();
  e2.close();
});

Deno.test("scenario absent without within watches until the scenario ends: a line before the last step fails, one after it does not", async () => {
  const s = (wait: string) =>
    parseScenario(
      `steps:\n  - absent: /sorry/\n  - at: 1s\n    say: hello\n  - after: ${wait}\n    key: x\n`,
      "u.yaml",
    );
  const { clock, emu } = slowRig(500);
  const r = await drive(clock, runScenario(emu, s("5s"), clock));
  assertEquals(r.failures.map((f) => f.where), ["u.yaml:2"]);
  assert(r.failures[0].message.includes("must not come until the scenario ends"));
  emu.close();
  const { clock: c2, emu: e2 } = slowRig(500);
  const r2 = await drive(c2, runScenario(e2, s("1s"), c2));
  assertEquals(r2.failures, []);
  e2.close();
});

Deno.test("scenario parse: absent takes a pattern and an optional window; within on another action, and a bad pattern, point at their line with a fix", () => {
  const s = parseScenario("steps:\n  - absent: KEY|a\n  - absent: /x/\n    within: 2s\n", "p.yaml");
  assertEquals(s.steps.map((x) => x.action.kind === "absent" ? x.action.within : "?"), [
    undefined,
    2000,
  ]);
  let err: ScenarioError | undefined;
  try {
    parseScenario("steps:\n  - say: hi\n    within: 1s\n  - absent: /a(/\n", "p.yaml");
  } catch (e) {
    err = e as ScenarioError;
  }
  assert(err);
  assertEquals(err.problems.map((p) => p.line), [3, 4]);
  assert(err.problems[0].message.includes("within only applies to expect and absent"));
  assert(err.problems[0].fix.includes("after:"), err.problems[0].fix);
  assert(err.message.includes("p.yaml:4:") && err.message.includes("bad regular expression"));
});
