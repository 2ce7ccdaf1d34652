/**
 * The public test kit (testing.ts) drives real sandboxed bot processes in a temporary bots folder,
 * on a virtual clock, with and without the in-process emulator.
 */
import { createTestRuntime } from "../../testing.ts";
import { assert, assertEquals } from "../assert.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;

const TINY = `
import { createBot } from "${MOD}";
const bot = createBot();
bot.on("RECOG_EVENT_STOP", async (ctx) => {
  const said = ctx.args.result ?? "";
  if (said === "hello") {
    await ctx.send.synthStart("mei", "mei_voice_normal", "hi there");
    await ctx.send("MESSAGE", "second");
    await ctx.send("MESSAGE", "third");
  }
  if (said.startsWith("remind ")) {
    const ms = Number(said.slice(7));
    // A reminder outlives the turn that set it: sent from the bot's context, not the turn's.
    const bg = ctx.background;
    bg.after(ms, async () => {
      await bg.send("MESSAGE", "reminder", String(bg.now()));
      bg.after(500, () => void bg.send("MESSAGE", "again", String(bg.now())));
    });
  }
});
bot.hear(/^KEY\\|(\\w)$/, (ctx) => void ctx.send("MESSAGE", "key", ctx.match![1]));
export default bot;
`;

async function tempBots(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-testkit-" });
  await Deno.mkdir(`${dir}/tiny`);
  await Deno.writeTextFile(`${dir}/tiny/bot.ts`, TINY);
  await Deno.writeTextFile(`${dir}/bots.yaml`, "bots:\n  tiny:\n    receive: ['*']\n");
  return dir;
}

Deno.test("say() resolves after the bot's whole chain of awaited sends, in order", async () => {
  const dir = await tempBots();
  try {
    await using rt = await createTestRuntime({ bots: ["tiny"], manifest: `${dir}/bots.yaml` });
    await rt.say("hello");
    assertEquals(rt.sent(), [
      "SYNTH_START|mei|mei_voice_normal|hi there",
      "MESSAGE|second",
      "MESSAGE|third",
    ]);
    // The emulator answered the echoes before any time passed; its voice starts 100 ms later
    // (speech.md §2).
    const got = rt.received();
    assert(got.includes("RECOG_EVENT_STOP|hello"), got.join("\n"));
    assert(got.includes("SYNTH_START|mei|mei_voice_normal|hi there"), got.join("\n"));
    assert(!got.includes("SYNTH_EVENT_START|mei"), "speech started without time passing");
    await rt.advance(100);
    assert(rt.received().includes("SYNTH_EVENT_START|mei"), rt.received().join("\n"));
    assert(!rt.received().includes("SYNTH_EVENT_STOP|mei"), "speech ended at once");
    await rt.advance(10_000);
    assert(rt.received().includes("SYNTH_EVENT_STOP|mei"), "the emulator ended the speech");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the virtual clock fires ctx.after exactly when advanced to its due time, not before", async () => {
  const dir = await tempBots();
  try {
    await using rt = await createTestRuntime({
      manifest: `${dir}/bots.yaml`,
      emulator: false,
      startTime: 1000,
    });
    await rt.say("remind 3000");
    assertEquals(rt.sent(), []);
    await rt.advance(2999);
    assertEquals(rt.sent(), [], "fired before its due time");
    await rt.advance(1);
    assertEquals(rt.sent(), ["MESSAGE|reminder|4000"]);
    // A timer set inside a timer counts from the time it was set, even in one long advance.
    rt.clearSent();
    await rt.say("remind 100");
    await rt.advance(60_000);
    assertEquals(rt.sent(), [
      "MESSAGE|reminder|4100", // set at 4000 for 100 ms
      "MESSAGE|again|4500", // set at 4000 by the first reminder
      "MESSAGE|again|4600", // set at 4100 by the second
    ]);
    assertEquals(rt.now(), 64_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("inject() delivers an MMDAgent-EX message; without the emulator nothing is echoed", async () => {
  const dir = await tempBots();
  try {
    await using rt = await createTestRuntime({ bots: `${dir}/bots.yaml`, emulator: false });
    await rt.inject("KEY|a");
    assertEquals(rt.sent(), ["MESSAGE|key|a"]);
    assertEquals(rt.received(), ["KEY|a"]);
    const recs = rt.records().map((r) => `${r.dir} ${r.bot ?? ""} ${r.line}`);
    assertEquals(recs, ["in  KEY|a", "out tiny MESSAGE|key|a"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unknown bot name is refused with the names the manifest has", async () => {
  const dir = await tempBots();
  try {
    let error: unknown;
    try {
      await createTestRuntime({ bots: ["nope"], manifest: `${dir}/bots.yaml` });
    } catch (e) {
      error = e;
    }
    assert(error instanceof Error && /no bot named nope.*tiny/.test(error.message), String(error));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
