/**
 * The example bots in bots/ (the README tutorial) run as the manifest says, each in its own
 * sandboxed process, against a small stand-in for MMDAgent-EX in the sink: it echoes each line,
 * starts speech at once and ends it one virtual second after SYNTH_START (at once on SYNTH_STOP).
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { createHost, type Host } from "../../runtime/host/host.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { loadManifest } from "../../runtime/manifest/load.ts";
import { VirtualClock } from "../../runtime/clock/virtual.ts";
import type { SendOutcome } from "../../runtime/transport/types.ts";
import type { BotSpec } from "../../runtime/manifest/types.ts";
import type { WireUnit } from "../../runtime/wire/types.ts";
import { guardContext, launcher } from "./helpers.ts";
import { findAnswer, parseQa } from "../../bots/qa/qa_yaml.ts";

const MANIFEST = new URL("../../bots/bots.yaml", import.meta.url).pathname;

async function examples(
  only: string[],
  fn: (
    t: { host: Host; said: string[]; clock: VirtualClock; say(text: string): Promise<string> },
  ) => Promise<void>,
  edit?: (bots: BotSpec[]) => BotSpec[],
) {
  const manifest = await loadManifest(MANIFEST);
  let bots = manifest.bots.filter((b) => only.includes(b.name));
  if (edit) bots = edit(bots);
  const clock = new VirtualClock(Date.UTC(2025, 0, 1, 9, 30));
  const said: string[] = [];
  const lines: string[] = [];
  const speaking = new Map<string, number>();
  // deno-lint-ignore prefer-const -- assigned after the sink that uses it is built
  let host!: Host;
  const sink = (unit: WireUnit): Promise<SendOutcome> => {
    lines.push(unit.text);
    const m = unit.text.match(/^SYNTH_START\|([^|]+)\|[^|]+\|(.*)$/);
    queueMicrotask(() => host.deliver(unit.text));
    if (m) {
      said.push(m[2]);
      // As the binary: a start event, the end a (virtual) second later, or at once on a stop.
      queueMicrotask(() => host.deliver(`SYNTH_EVENT_START|${m[1]}`));
      speaking.set(
        m[1],
        clock.setTimeout(() => {
          speaking.delete(m[1]);
          host.deliver(`SYNTH_EVENT_STOP|${m[1]}`);
        }, 1000),
      );
    }
    const stop = unit.text.match(/^SYNTH_STOP\|([^|]+)$/);
    const t = stop ? speaking.get(stop[1]) : undefined;
    if (stop && t !== undefined) {
      clock.clearTimeout(t);
      speaking.delete(stop[1]);
      queueMicrotask(() => host.deliver(`SYNTH_EVENT_STOP|${stop[1]}`));
    }
    return Promise.resolve({ status: "written", connection: "test" });
  };
  host = createHost({
    manifest: { file: manifest.file, bots },
    logger: memoryLogger(),
    sink,
    guardContext,
    launcher: await launcher(),
    clock,
  });
  const say = async (text: string) => {
    const before = said.length;
    host.deliver(`RECOG_EVENT_STOP|${text}`);
    const end = Date.now() + 15_000;
    while (said.length === before) {
      if (Date.now() > end) throw new Error(`no answer to ${text}; lines: ${lines.join(" / ")}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return said[before];
  };
  try {
    await host.start();
    for (const s of host.status()) assertEquals(s.state, "running", `${s.name}: ${s.lastError}`);
    await fn({ host, said, clock, say });
  } finally {
    await host.stop();
  }
}

Deno.test("greeter answers a greeting by voice and stays silent otherwise", async () => {
  await examples(["greeter"], async ({ say, said, host }) => {
    assertEquals(await say("hello there"), "Hello! Nice to meet you.");
    host.deliver("RECOG_EVENT_STOP|the sky is blue");
    assertEquals(await say("hi"), "Hello again!");
    assertEquals(said.length, 2);
  });
});

Deno.test("qa answers from qa.yaml by keyword", async () => {
  await examples(["qa"], async ({ say }) => {
    assertEquals(
      await say("will it rain today"),
      "I cannot see outside, but I hope the sun is shining for you.",
    );
    assertEquals(await say("thank you"), "You are welcome!");
  });
});

Deno.test("qa.yaml parser names the line of a mistake", () => {
  const entries = parseQa("# c\n- keywords: a, B c\n  answer: 'yes'\n");
  assertEquals(entries, [{ keywords: ["a", "b c"], answer: "yes" }]);
  assertEquals(findAnswer(entries, "say B C now"), "yes");
  let message = "";
  try {
    parseQa("- keywords: a\n  answr: x\n");
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.startsWith("qa.yaml:2:"), message);
});

Deno.test("clock sets a timer on the host clock and speaks when it is due", async () => {
  await examples(["clock"], async ({ say, said, clock }) => {
    // The bot's time zone is the sandbox's (UTC unless granted), so only the minutes are fixed.
    assertMatch(await say("what time is it"), /^It is \d{1,2}:30\.$/);
    assertEquals(await say("set a timer for 2 minutes"), "Timer set for 2 minutes.");
    await clock.advance(119_000);
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(said.length, 2);
    await clock.advance(1_000);
    const end = Date.now() + 15_000;
    while (said.length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assertEquals(said[2], "Your 2 minutes timer is done!");
  });
});

Deno.test("notes writes to its folder with the granted permission, and is refused without it", async () => {
  const file = new URL("../../bots/notes/notes.txt", import.meta.url).pathname;
  const previous = await Deno.readTextFile(file).catch(() => undefined);
  try {
    await Deno.remove(file).catch(() => {});
    await examples(["notes"], async ({ say }) => {
      assertEquals(await say("remember the milk is in the fridge"), "OK, I will remember that.");
      assertEquals(await say("what do you remember"), "You told me: the milk is in the fridge.");
    });
    assertEquals(await Deno.readTextFile(file), "the milk is in the fridge\n");
    await Deno.remove(file);
    await examples(["notes"], async ({ host, said }) => {
      host.deliver("RECOG_EVENT_STOP|remember secret");
      const end = Date.now() + 15_000;
      while (host.status()[0].handlerErrors === 0 && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assertEquals(host.status()[0].handlerErrors, 1);
      assertEquals(said.length, 0);
    }, (bots) => bots.map((b) => ({ ...b, permissions: { ...b.permissions, write: false } })));
    assertEquals(await Deno.readTextFile(file).catch(() => "absent"), "absent");
  } finally {
    if (previous !== undefined) await Deno.writeTextFile(file, previous);
    else await Deno.remove(file).catch(() => {});
  }
});
