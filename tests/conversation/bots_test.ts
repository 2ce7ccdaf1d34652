/**
 * The speech floor, turns and barge-in with real bot processes (sandboxed, through the test kit's
 * runtime: the same composition as `start`) against the in-process emulator on the virtual clock:
 * two bots answering one utterance, a streamed answer sentence by sentence, a barge-in in the
 * middle of it, a text too long for one utterance, and a turn's `fetch` aborted at a real local
 * HTTP server. Waits are event-driven (virtual time, or a bounded real wait for real I/O).
 */
import { createTestRuntime, type TestRuntime } from "../../testing.ts";
import { assert, assertEquals } from "../assert.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;

const ANSWER = `
import { createBot } from "${MOD}";
const bot = createBot();
bot.on("RECOG_EVENT_STOP", async (ctx) => {
  if ((ctx.args.result ?? "") !== "hello") return;
  const r = await ctx.speak("mei", "mei_voice_normal", ctx.name + " says hello.");
  ctx.log.info("result " + JSON.stringify(r));
});
export default bot;
`;

const STREAM = `
import { createBot } from "${MOD}";
const bot = createBot();
async function* five() {
  for (let i = 1; i <= 5; i++) {
    // Sentences arrive in pieces, as from an LLM.
    yield "Sentence number ";
    yield i + " is here. ";
  }
}
bot.on("RECOG_EVENT_STOP", async (ctx) => {
  if ((ctx.args.result ?? "") !== "stream") return;
  const r = await ctx.speakStream("mei", "mei_voice_normal", five());
  ctx.log.info("stream " + JSON.stringify(r));
});
export default bot;
`;

const WORDS = Array.from({ length: 150 }, (_, i) => `word${i + 1}`);
/** 150 words in 15 sentences of ten. */
const LONG_TEXT = Array.from(
  { length: 15 },
  (_, s) => WORDS.slice(s * 10, s * 10 + 10).join(" ") + ".",
).join(" ");

const LONG = `
import { createBot } from "${MOD}";
const bot = createBot();
bot.on("RECOG_EVENT_STOP", async (ctx) => {
  if ((ctx.args.result ?? "") !== "long") return;
  const r = await ctx.speak("mei", "mei_voice_normal", ${JSON.stringify(LONG_TEXT)});
  ctx.log.info("long " + JSON.stringify(r));
});
export default bot;
`;

const FETCH = `
import { createBot } from "${MOD}";
const bot = createBot();
bot.on("RECOG_EVENT_STOP", async (ctx) => {
  const m = (ctx.args.result ?? "").match(/^fetch (\\d+)$/);
  if (!m || !ctx.turn) return;
  try {
    await fetch("http://127.0.0.1:" + m[1] + "/slow", { signal: ctx.turn.signal });
    ctx.log.info("fetch finished");
  } catch (e) {
    ctx.log.info("fetch ended: " + (e?.name ?? e));
  }
});
export default bot;
`;

/** A bots folder with the given bots and manifest text. */
async function botsDir(bots: Record<string, string>, manifest: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-conversation-" });
  for (const [name, src] of Object.entries(bots)) {
    await Deno.mkdir(`${dir}/${name}`);
    await Deno.writeTextFile(`${dir}/${name}/bot.ts`, src);
  }
  await Deno.writeTextFile(`${dir}/bots.yaml`, manifest);
  return dir;
}

/** Advances virtual time in steps until `done` holds (bounded: at most `maxMs` of virtual time). */
async function advanceUntil(rt: TestRuntime, done: () => boolean, what: string, maxMs = 120_000) {
  for (let t = 0; !done(); t += 100) {
    if (t > maxMs) throw new Error(`${what}: not within ${maxMs} ms of virtual time`);
    await rt.advance(100);
  }
}

/** The logged results (`<tag> {json}`) of the bots. */
function results(rt: TestRuntime, tag: string) {
  return rt.logs().filter((l) => l.msg.startsWith(tag + " ")).map((l) => ({
    ...JSON.parse(l.msg.slice(tag.length + 1)),
    /** The bot that logged it (`bot` is the result's other bot). */
    from: l.scope.replace(/^bot:/, ""),
  }));
}

const speechStarts = (lines: string[]) => lines.filter((l) => l.startsWith("SYNTH_START|"));

Deno.test("two bots answering one utterance: first-claim lets one speak, the other's speak is refused by floor-taken; each result is its own", async () => {
  const dir = await botsDir(
    { anna: ANSWER, bert: ANSWER },
    "bots:\n  anna:\n    receive: [RECOG_EVENT_STOP]\n  bert:\n    receive: [RECOG_EVENT_STOP]\n",
  );
  try {
    await using rt = await createTestRuntime({ manifest: `${dir}/bots.yaml` });
    await rt.say("hello");
    await advanceUntil(rt, () => results(rt, "result").length === 2, "both results");
    const starts = speechStarts(rt.sent());
    assertEquals(starts.length, 1, starts.join("\n"));
    const [r1, r2] = results(rt, "result").sort((a, b) => a.status < b.status ? -1 : 1);
    assertEquals(r1.status, "finished");
    assertEquals(starts[0], `SYNTH_START|mei|mei_voice_normal|${r1.from} says hello.`);
    assertEquals(r1.text, `${r1.from} says hello.`);
    assert(r1.spokenMs > 0, JSON.stringify(r1));
    assertEquals([r2.status, r2.by, r2.bot], ["refused", "floor-taken", r1.from]);
    assert(r1.from !== r2.from);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("two bots under floor: queue speak one after the other, the second after the first's SYNTH_EVENT_STOP; each speak resolves on its own utterance", async () => {
  const dir = await botsDir(
    { anna: ANSWER, bert: ANSWER },
    "conversation:\n  floor: queue\nbots:\n  anna:\n    receive: [RECOG_EVENT_STOP]\n" +
      "  bert:\n    receive: [RECOG_EVENT_STOP]\n",
  );
  try {
    await using rt = await createTestRuntime({ manifest: `${dir}/bots.yaml` });
    await rt.say("hello");
    // The first bot's speak resolves when its own speech ends, while the second still speaks.
    await advanceUntil(rt, () => results(rt, "result").length >= 1, "the first result");
    const first = results(rt, "result")[0];
    assertEquals([first.status, first.text], ["finished", `${first.from} says hello.`]);
    assertEquals(results(rt, "result").length, 1, "the other bot's speech is still on");
    await advanceUntil(rt, () => results(rt, "result").length === 2, "the second result");
    const second = results(rt, "result")[1];
    assertEquals([second.status, second.text], ["finished", `${second.from} says hello.`]);
    assert(first.from !== second.from);
    // On the wire: start, its stop event, then the other's start.
    const flow = rt.records().filter((r) => /^SYNTH_(START|EVENT_STOP)\|/.test(r.line))
      .filter((r) => r.dir === "out" || r.line.startsWith("SYNTH_EVENT_STOP"))
      .map((r) => r.line);
    assertEquals(flow, [
      `SYNTH_START|mei|mei_voice_normal|${first.from} says hello.`,
      "SYNTH_EVENT_STOP|mei",
      `SYNTH_START|mei|mei_voice_normal|${second.from} says hello.`,
      "SYNTH_EVENT_STOP|mei",
    ]);
    const faults = rt.logs().filter((l) => l.scope.startsWith("emulator") && /fault/.test(l.msg));
    assertEquals(faults, [], "no race of two starts, no broken line");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("five streamed sentences go out one after another, each SYNTH_START after the previous SYNTH_EVENT_STOP", async () => {
  const dir = await botsDir({ streamer: STREAM }, "bots:\n  streamer:\n    receive: ['*']\n");
  try {
    await using rt = await createTestRuntime({ manifest: `${dir}/bots.yaml` });
    await rt.say("stream");
    // Before any time passes only the first sentence is out.
    assertEquals(speechStarts(rt.sent()), [
      "SYNTH_START|mei|mei_voice_normal|Sentence number 1 is here.",
    ]);
    await advanceUntil(rt, () => results(rt, "stream").length === 1, "the stream's result");
    const r = results(rt, "stream")[0];
    assertEquals([r.status, r.utterances], ["finished", 5]);
    const flow = rt.records().filter((x) =>
      (x.dir === "out" && x.line.startsWith("SYNTH_START|")) ||
      (x.dir === "in" && x.line === "SYNTH_EVENT_STOP|mei")
    ).map((x) => x.line);
    const expected: string[] = [];
    for (let i = 1; i <= 5; i++) {
      expected.push(`SYNTH_START|mei|mei_voice_normal|Sentence number ${i} is here.`);
      expected.push("SYNTH_EVENT_STOP|mei");
    }
    assertEquals(flow, expected);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a barge-in in the middle of sentence two stops it with SYNTH_STOP, and sentences three to five never reach the wire", async () => {
  const dir = await botsDir({ streamer: STREAM }, "bots:\n  streamer:\n    receive: ['*']\n");
  try {
    await using rt = await createTestRuntime({ manifest: `${dir}/bots.yaml` });
    await rt.say("stream");
    const second = "SYNTH_START|mei|mei_voice_normal|Sentence number 2 is here.";
    // Sentence two is on: sent, and its start event came back after it.
    await advanceUntil(rt, () => {
      const got = rt.received();
      const at = got.indexOf(second);
      return at >= 0 && got.slice(at).includes("SYNTH_EVENT_START|mei");
    }, "sentence two speaking");
    await rt.advance(300); // well inside its ~3 s
    assertEquals(
      rt.received().slice(rt.received().indexOf(second)).includes("SYNTH_EVENT_STOP|mei"),
      false,
    );
    await rt.userStarts();
    const afterSecond = rt.sent().slice(rt.sent().indexOf(second) + 1);
    assertEquals(afterSecond, ["SYNTH_STOP|mei"]);
    await advanceUntil(rt, () => results(rt, "stream").length === 1, "the stream's result");
    await rt.advance(30_000);
    const r = results(rt, "stream")[0];
    assertEquals([r.status, r.by, r.utterances], ["interrupted", "barge-in", 2]);
    // The turn metrics say so too.
    const { turns, metrics } = rt.conversation();
    const t1 = turns.find((t) => t.id === 1)!;
    assertEquals([t1.interrupted, t1.utterances, t1.dropped], [true, 2, 3]);
    assertEquals(metrics.interruptions, 1);
    assert(t1.firstAudioAt! >= t1.firstWireAt!, JSON.stringify(t1));
    assertEquals(speechStarts(rt.sent()), [
      "SYNTH_START|mei|mei_voice_normal|Sentence number 1 is here.",
      second,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a 150-word text is split into utterances the emulator speaks with no broken line (no fault reported)", async () => {
  const dir = await botsDir({ long: LONG }, "bots:\n  long:\n    receive: ['*']\n");
  try {
    await using rt = await createTestRuntime({ manifest: `${dir}/bots.yaml` });
    await rt.say("long");
    await advanceUntil(rt, () => results(rt, "long").length === 1, "the result", 600_000);
    const r = results(rt, "long")[0];
    assertEquals(r.status, "finished");
    const parts = speechStarts(rt.sent()).map((l) => l.split("|")[3]);
    assert(parts.length >= 2, `one utterance of ${LONG_TEXT.length} characters`);
    assertEquals(r.utterances, parts.length);
    // Nothing lost or reordered.
    assertEquals(parts.join(" ").split(/\s+/).map((w) => w.replace(/\.$/, "")), WORDS);
    const faults = rt.logs().filter((l) => l.scope.startsWith("emulator") && /fault/.test(l.msg));
    assertEquals(faults, []);
    // Every lip-sync line arrived whole (a cut one is glued to the next message).
    const lips = rt.received().filter((l) => l.startsWith("LIPSYNC_START|"));
    assertEquals(lips.length, parts.length);
    for (const l of lips) assert(/^LIPSYNC_START\|mei\|([a-z]+,\d+,)*[a-z]+,\d+$/.test(l), l);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a turn's fetch given ctx.turn.signal is seen aborted by a real local HTTP server when the next turn starts", async () => {
  const arrived = Promise.withResolvers<void>();
  const aborted = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    arrived.resolve();
    req.signal.addEventListener("abort", () => aborted.resolve(), { once: true });
    // Never answers by itself: only the abort ends it.
    return new Promise<Response>((resolve) => {
      req.signal.addEventListener("abort", () => resolve(new Response("late")), { once: true });
    });
  });
  const dir = await botsDir(
    { fetcher: FETCH },
    "bots:\n  fetcher:\n    receive: ['*']\n    permissions:\n      net: [127.0.0.1]\n",
  );
  const guard = (p: Promise<void>, what: string) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not within 20 s`)), 20_000);
      }),
    ]).finally(() => clearTimeout(timer));
  };
  try {
    await using rt = await createTestRuntime({ manifest: `${dir}/bots.yaml` });
    await rt.say(`fetch ${server.addr.port}`);
    await guard(arrived.promise, "the request");
    await rt.say("something else");
    await guard(aborted.promise, "the server seeing the request aborted");
    await guard(
      (async () => {
        while (!rt.logs().some((l) => l.msg.startsWith("fetch ended: "))) {
          await new Promise((r) => setTimeout(r, 20));
        }
      })(),
      "the bot's fetch to reject",
    );
    assertEquals(
      rt.logs().find((l) => l.msg.startsWith("fetch "))?.msg,
      "fetch ended: TurnEndedError",
    );
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

const LATE = `
import { createBot } from "${MOD}";
const bot = createBot();
bot.on("RECOG_EVENT_STOP", async (ctx) => {
  const said = ctx.args.result ?? "";
  const now = said.match(/^now (\\d+)$/);
  if (now) return void ctx.sendRaw("MESSAGE|now|" + now[1]);
  if (said !== "later") return;
  await ctx.background.sleep(1000); // work that runs on after the turn
  try {
    await ctx.sendRaw("MESSAGE|late");
    ctx.log.info("late sent");
  } catch (e) {
    ctx.log.info("late refused " + e.refusal?.code);
  }
  await ctx.background.sendRaw("MESSAGE|background");
});
export default bot;
`;

Deno.test("a turn's line sent after the next turn began is refused turn-ended; the bot's background line goes", async () => {
  const dir = await botsDir(
    { late: LATE },
    "bots:\n  late:\n    receive: [RECOG_EVENT_STOP]\n    budgets: { messages_per_second: 1000, burst: 1000 }\n",
  );
  try {
    await using rt = await createTestRuntime({ manifest: `${dir}/bots.yaml` });
    await rt.say("later");
    await rt.say("something else"); // turn 2 starts while turn 1's handler still works
    await rt.advance(1000);
    const logged = rt.logs().filter((l) => l.msg.startsWith("late ")).map((l) => l.msg);
    assertEquals(logged, ["late refused turn-ended"]);
    assertEquals(rt.sent().includes("MESSAGE|late"), false);
    assert(rt.sent().includes("MESSAGE|background"), rt.sent().join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
