/**
 * A bot written against the emulator gets MMDAgent-EX's frame-loop and timer events at the times
 * the real binary gives them (answers.md §2-§4), within 50 ms on the virtual clock: the bot waits
 * with `ctx.waitFor` and reports how long it waited.
 */
import { assert } from "../assert.ts";
import { createTestRuntime } from "../../testing.ts";
import { makeContent } from "../emulator/content.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;

const BOT = `import { createBot } from "${MOD}";
const bot = createBot();
async function timed(ctx, line, type, match) {
  const t0 = ctx.now();
  const wait = ctx.waitFor(type, { match: (m) => m.fields[0] === match, timeoutMs: 10000 });
  await ctx.sendRaw(line);
  await wait;
  await ctx.sendRaw("MESSAGE|took|" + type + "|" + (ctx.now() - t0));
}
bot.on("RECOG_EVENT_STOP", async (ctx) => {
  const what = ctx.args.result;
  if (what === "timer") await timed(ctx, "TIMER_START|t1|1", "TIMER_EVENT_STOP", "t1");
  if (what === "caption") {
    await timed(ctx, "CAPTION_START|c1|_default|hello|3.0|CENTER|0.8|60", "CAPTION_EVENT_STOP", "c1");
  }
  if (what === "motion") {
    const added = ctx.waitFor("MODEL_EVENT_ADD", { timeoutMs: 10000 });
    await ctx.sendRaw("MODEL_ADD|m1|Gene_light.pmd");
    await added;
    const start = ctx.waitFor("MOTION_EVENT_ADD", { timeoutMs: 10000 });
    const end = ctx.waitFor("MOTION_EVENT_DELETE", { timeoutMs: 10000 });
    await ctx.sendRaw("MOTION_ADD|m1|short|motion/00_normal.vmd");
    await start;
    const t0 = ctx.now();
    await end;
    await ctx.sendRaw("MESSAGE|took|MOTION_EVENT_DELETE|" + (ctx.now() - t0));
  }
});
export default bot;
`;

async function tookMs(what: string, contentDir: string, bots: string): Promise<number> {
  await using rt = await createTestRuntime({ bots, contentDir });
  await rt.say(what);
  await rt.advance(12_000);
  const line = rt.sent().find((l) => l.startsWith("MESSAGE|took|"));
  assert(line, `the bot never got its event for ${what}: ${JSON.stringify(rt.received())}`);
  return Number(line.split("|")[3]);
}

Deno.test("a bot waiting for TIMER_EVENT_STOP, CAPTION_EVENT_STOP and a ONCE motion's MOTION_EVENT_DELETE gets them at the binary's times (±50 ms)", async () => {
  const content = await makeContent();
  const bots = await Deno.makeTempDir({ prefix: "mmdbot-timing-" });
  await Deno.mkdir(`${bots}/timing`);
  await Deno.writeTextFile(`${bots}/timing/bot.ts`, BOT);
  await Deno.writeTextFile(`${bots}/bots.yaml`, "bots:\n  timing: {}\n");
  try {
    // answers.md §2: TIMER_START|t|1 → TIMER_EVENT_STOP at +1.03–1.12 s.
    const timer = await tookMs("timer", content, `${bots}/bots.yaml`);
    assert(timer >= 1030 - 50 && timer <= 1120 + 50, `timer stopped after ${timer} ms`);
    // §4: a 60-frame caption stops +2.0 s later (frames at 30 fps).
    const caption = await tookMs("caption", content, `${bots}/bots.yaml`);
    assert(Math.abs(caption - 2000) <= 50, `caption stopped after ${caption} ms`);
    // §3: a 10-frame ONCE motion ends +0.47 s after its MOTION_EVENT_ADD.
    const motion = await tookMs("motion", content, `${bots}/bots.yaml`);
    assert(Math.abs(motion - 470) <= 50, `motion ended after ${motion} ms`);
  } finally {
    await Deno.remove(content, { recursive: true });
    await Deno.remove(bots, { recursive: true });
  }
});
