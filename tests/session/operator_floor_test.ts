/**
 * The operator's speech lines against the speech floor, end to end as the README's Conversation
 * chapter states the rule: `mmdbot send` (the control channel) goes out at once, past the floor;
 * `SYNTH_STOP` stops whatever speaks; an operator `SYNTH_START` over a bot's speech cuts it as
 * MMDAgent-EX itself does (the bot's speak resolves `finished`, as the binary's events cannot tell);
 * one started while the floor is free holds the bots' next utterance until its `SYNTH_EVENT_STOP`.
 *
 * Real pieces throughout: `startSession` as `start` runs it, a sandboxed bot, the control channel's
 * Unix socket and client, and the emulator's MMDAgent-EX server side over loopback TCP, speaking
 * with its measured voice timing on the real clock. Orders are asserted, never durations.
 */
import { requireRuntime } from "../../runtime/control/client.ts";
import { Emulator } from "../../runtime/emulator/core.ts";
import { serveTcp } from "../../runtime/emulator/tcp_server.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { type Session, startSession } from "../../runtime/session/session.ts";
import { assert, assertEquals } from "../assert.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;

/** "say <text>" speaks it; the result goes to the log (a turn that is over refuses lines). */
const BOT = `import { createBot } from "${MOD}";
const bot = createBot();
bot.on("RECOG_EVENT_STOP", async (ctx) => {
  const m = /^say (.+)$/.exec(ctx.args.result ?? "");
  if (!m) return;
  const r = await ctx.speak("mei", "mei_voice_normal", m[1]);
  ctx.log.info("spoke " + JSON.stringify({ status: r.status, by: r.by, text: m[1] }));
});
export default bot;
`;

const LONG = "This is a long sentence that the bot speaks for several seconds on the emulator.";

async function until(cond: () => boolean, what: string, detail = () => "", ms = 30_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Rig {
  emu: Emulator;
  /** What the emulator sent (echoes and events), in order. */
  out: string[];
  /** Sends a line as the operator, through the control channel, as `mmdbot send` does. */
  send(line: string): Promise<string>;
  /** The bot's speak results, in order. */
  spoke(): { status: string; by?: string; text: string }[];
  trace(): string;
}

async function withRig(fn: (r: Rig) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-opfloor-" });
  const controlDir = await Deno.makeTempDir({ prefix: "mmdbot-opfloor-ctl-" });
  const emu = new Emulator({ currentTime: false, voice: true });
  const out: string[] = [];
  const off = emu.onOutput((line) => void out.push(line.replace(/\r?\n$/, "")));
  const side = serveTcp(emu, { port: 0 });
  const log = memoryLogger();
  let session: Session | undefined;
  let client: Awaited<ReturnType<typeof requireRuntime>> | undefined;
  try {
    await Deno.mkdir(`${dir}/bots/talker`, { recursive: true });
    await Deno.writeTextFile(`${dir}/bots/talker/bot.ts`, BOT);
    await Deno.writeTextFile(`${dir}/bots/bots.yaml`, "bots:\n  talker: {}\n");
    const mdf = `${dir}/content.mdf`;
    await Deno.writeTextFile(
      mdf,
      `Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=${side.port}\n`,
    );
    session = await startSession({
      mdf,
      manifest: `${dir}/bots/bots.yaml`,
      logger: log,
      watch: false,
      controlDir,
    });
    const s = session;
    await until(() => emu.peers === 1, "the runtime to connect");
    await until(() => s.host.status().every((b) => b.state === "running"), "the bot to run");
    client = await requireRuntime(mdf, { dir: controlDir });
    const c = client;
    await fn({
      emu,
      out,
      async send(line) {
        const r = await c.send(line);
        return r.status;
      },
      spoke: () =>
        log.records.filter((r) => r.msg.startsWith("spoke {")).map((r) =>
          JSON.parse(r.msg.slice("spoke ".length))
        ),
      trace: () => out.join("\n"),
    });
  } finally {
    client?.close();
    off();
    await session?.stop();
    await side.close();
    emu.close();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(controlDir, { recursive: true });
  }
}

const botStart = (text: string) => `SYNTH_START|mei|mei_voice_normal|${text}`;

Deno.test("an operator SYNTH_START on a free floor goes out at once and holds the bot's next utterance until its SYNTH_EVENT_STOP", async () => {
  await withRig(async ({ emu, out, send, spoke, trace }) => {
    const op = "SYNTH_START|mei|mei_voice_normal|The operator speaks first, for a while.";
    assertEquals(await send(op), "written");
    await until(
      () => out.includes("SYNTH_EVENT_START|mei"),
      "the operator's speech to start",
      trace,
    );
    emu.inject("RECOG_EVENT_START");
    emu.inject("RECOG_EVENT_STOP", "say Then the bot answers.");
    await until(() => spoke().length === 1, "the bot's answer", trace);
    assertEquals(spoke()[0].status, "finished");
    // The bot's SYNTH_START reached MMDAgent-EX only after the operator's speech had ended.
    const opStop = out.indexOf("SYNTH_EVENT_STOP|mei");
    const bot = out.indexOf(botStart("Then the bot answers."));
    assert(
      opStop >= 0 && bot > opStop,
      `bot's start at ${bot}, operator's stop at ${opStop}\n${trace()}`,
    );
    // The operator's line was not refused or held by the floor: it is the first speech line.
    assertEquals(out.find((l) => l.startsWith("SYNTH_START|")), op);
  });
});

Deno.test("an operator SYNTH_START over a bot's speech cuts it as MMDAgent-EX does; the bot's speak resolves finished", async () => {
  await withRig(async ({ emu, out, send, spoke, trace }) => {
    emu.inject("RECOG_EVENT_START");
    emu.inject("RECOG_EVENT_STOP", `say ${LONG}`);
    await until(() => out.includes("SYNTH_EVENT_START|mei"), "the bot to speak", trace);
    const op = "SYNTH_START|mei|mei_voice_normal|The operator cuts in.";
    assertEquals(await send(op), "written");
    await until(() => spoke().length === 1, "the bot's speak to resolve", trace);
    assertEquals(spoke()[0].status, "finished");
    // MMDAgent-EX's own interruption: the bot's speech ends, the operator's starts.
    const at = out.indexOf(op);
    const after = out.slice(at);
    assert(at > out.indexOf(botStart(LONG)), trace());
    assert(after.includes("SYNTH_EVENT_STOP|mei"), `the bot's speech did not end\n${trace()}`);
    await until(
      () => out.filter((l) => l === "SYNTH_EVENT_START|mei").length === 2,
      "the operator's speech to start",
      trace,
    );
  });
});

Deno.test("an operator SYNTH_STOP stops the bot's speech while it speaks, past the floor; the bot's speak resolves finished", async () => {
  await withRig(async ({ emu, out, send, spoke, trace }) => {
    emu.inject("RECOG_EVENT_START");
    emu.inject("RECOG_EVENT_STOP", `say ${LONG}`);
    await until(() => out.includes("SYNTH_EVENT_START|mei"), "the bot to speak", trace);
    assertEquals(await send("SYNTH_STOP|mei"), "written");
    await until(() => spoke().length === 1, "the bot's speak to resolve", trace);
    // Not held for a free floor: MMDAgent-EX took the stop while the bot spoke, and the speech
    // ended after it. The floor added no stop of its own; the binary's events cannot tell a stop
    // from an end, so the bot's speak resolves finished.
    const stop = out.indexOf("SYNTH_STOP|mei");
    assert(stop > out.indexOf("SYNTH_EVENT_START|mei"), trace());
    assert(
      stop < out.indexOf("SYNTH_EVENT_STOP|mei"),
      `the speech ended before the stop\n${trace()}`,
    );
    assertEquals(out.filter((l) => l === "SYNTH_STOP|mei").length, 1, trace());
    assertEquals([spoke()[0].status, spoke()[0].text], ["finished", LONG]);
  });
});
