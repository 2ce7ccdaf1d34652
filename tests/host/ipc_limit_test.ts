import { assert, assertEquals, assertMatch, eventually } from "../assert.ts";
import { createHost, type Host } from "../../runtime/host/host.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { parseBotLine } from "../../runtime/host/ipc_protocol.ts";
import { IPC_MAX_TEXT, WIRE_LINE_CEILING } from "../../runtime/bot/protocol.ts";
import { MAX_LINE_BYTES_CEILING } from "../../runtime/wire/guard.ts";
import { ipcLength } from "../../runtime/bot/engine.ts";
import { fixtureManifest, guardContext, launcher, recordingSink } from "./helpers.ts";

type Log = ReturnType<typeof memoryLogger>;

async function withBot(
  name: string,
  fn: (host: Host, log: Log, rec: ReturnType<typeof recordingSink>) => Promise<void>,
) {
  const log = memoryLogger();
  const rec = recordingSink();
  const host = createHost({
    manifest: fixtureManifest(name),
    logger: log,
    sink: rec.sink,
    guardContext,
    launcher: await launcher(),
  });
  try {
    await host.start();
    await fn(host, log, rec);
  } finally {
    await host.stop();
  }
}

const outcome = async (log: Log) => {
  await eventually(() => log.records.some((r) => r.msg.startsWith("outcome ")), "the outcome");
  return log.records.find((r) => r.msg.startsWith("outcome "))!.msg.slice(8);
};

Deno.test("the bot side's IPC limit is the host's: a send of exactly the limit parses, one more character does not", () => {
  const at = "M".repeat(IPC_MAX_TEXT);
  assertEquals(parseBotLine(JSON.stringify({ t: "send", req: 1, line: at }))?.t, "send");
  assertEquals(parseBotLine(JSON.stringify({ t: "send", req: 1, line: at + "M" })), undefined);
  assertEquals(WIRE_LINE_CEILING, MAX_LINE_BYTES_CEILING);
  assertEquals(ipcLength("a\u0001b"), 3);
  assertEquals(ipcLength("\u0001".repeat(20_000)), 120_000);
});

Deno.test("a send too big for one IPC message is refused in the bot (too-long, naming its size and the wire limit) and nothing reaches the wire", async () => {
  await withBot("bigsend", async (host, log, rec) => {
    host.deliver("TEST|big");
    const got = await outcome(log);
    assertMatch(got, /^too-long: line is 100008 characters/);
    assert(got.includes(String(IPC_MAX_TEXT)) && got.includes(`${WIRE_LINE_CEILING} bytes`), got);
    // Logged under the bot's name, though the host never saw the request.
    assert(
      log.records.some((r) =>
        r.scope.endsWith("bot:bigsend") && r.level === "warn" && /too-long/.test(r.msg)
      ),
      "no warning",
    );
    assertEquals(rec.lines, []);
  });
});

Deno.test("a send that only JSON escaping makes too big is refused in the bot too, instead of hanging", async () => {
  await withBot("bigsend", async (host, log, rec) => {
    host.deliver("TEST|escaped");
    assertMatch(await outcome(log), /^too-long: line is 120008 characters \(JSON-escaped\)/);
    assertEquals(rec.lines, []);
  });
});

Deno.test("a setup line too big for one IPC message throws RefusedError in the bot; a huge ctx.log message is cut, not lost", async () => {
  await withBot("bigsend", async (host, log) => {
    host.deliver("TEST|setup");
    assertMatch(await outcome(log), /^too-long: setup line 1 is 70008 characters/);
    host.deliver("TEST|log");
    await eventually(() => log.records.some((r) => r.msg.startsWith("Lzzz")), "the cut log");
    assertEquals(host.status()[0].oversizedIpc, 0);
  });
});

Deno.test("an oversized IPC send written past the bot API is never acted on, counted, logged once, and its request refused (never hangs)", async () => {
  await withBot("bigforger", async (host, log, rec) => {
    host.deliver("TEST|forge");
    assertEquals(await outcome(log), "too-long");
    await eventually(() => host.status()[0].oversizedIpc === 3, "three counted");
    const warned = log.records.filter((r) => (r.fields as { code?: string })?.code === "too-long");
    assertEquals(warned.length, 1);
    assertEquals((warned[0].fields as { bot?: string }).bot, "bigforger");
    assertMatch(warned[0].msg, /IPC message of \d+ characters/);
    assert(!rec.lines.some((l) => l.text.includes("yyyy")), "the oversized line was sent");
    // Nothing of it was logged as the bot's output either.
    assert(!log.records.some((r) => r.msg.includes('"t":"send"')), "logged as output");
  });
});
