import { assert, assertEquals, eventually } from "../assert.ts";
import { createHost, type Host } from "../../runtime/host/host.ts";
import { VirtualClock } from "../../runtime/clock/virtual.ts";
import { type LogRecord, memoryLogger } from "../../runtime/log/logger.ts";
import { OUTPUT_BURST, SUMMARY_INTERVAL_MS } from "../../runtime/host/output_log.ts";
import { fixtureManifest, guardContext, launcher, recordingSink } from "./helpers.ts";

type Log = ReturnType<typeof memoryLogger>;

async function withChatty(fn: (host: Host, log: Log, clock: VirtualClock) => Promise<void>) {
  const log = memoryLogger();
  const clock = new VirtualClock();
  const host = createHost({
    manifest: fixtureManifest("chatty"),
    logger: log,
    sink: recordingSink().sink,
    guardContext,
    launcher: await launcher(),
    clock,
  });
  try {
    await host.start();
    await fn(host, log, clock);
  } finally {
    await host.stop();
  }
}

const fromBot = (log: Log, re: RegExp): LogRecord[] =>
  log.records.filter((r) => r.scope.endsWith("bot:chatty") && re.test(r.msg));

Deno.test("ctx.log records are rate-limited like printed lines, each on its own budget, and counted", async () => {
  await withChatty(async (host, log) => {
    // The host clock stands still, so exactly one burst of each kind gets through.
    host.deliver("TEST|spam|300|300");
    await eventually(
      () => fromBot(log, /^(print|log) \d+$/).length + host.status()[0].suppressedOutput === 600,
      "all 600 lines to reach the host",
    );
    assertEquals(fromBot(log, /^print \d+$/).length, OUTPUT_BURST);
    assertEquals(fromBot(log, /^log \d+$/).length, OUTPUT_BURST);
    assertEquals(host.status()[0].suppressedOutput, 600 - 2 * OUTPUT_BURST);
  });
});

Deno.test("a flood of printed lines does not silence the bot's ctx.log records", async () => {
  await withChatty(async (host, log) => {
    host.deliver("TEST|spam|1000|0");
    await eventually(() => host.status()[0].suppressedOutput === 1000 - OUTPUT_BURST, "800");
    host.deliver("TEST|say|still heard");
    await eventually(() => fromBot(log, /^still heard$/).length === 1, "the ctx.log record");
  });
});

Deno.test("a bot that floods ctx.log once and goes quiet gets the summary, naming ctx.log, when the window ends on the host clock", async () => {
  await withChatty(async (host, log, clock) => {
    host.deliver("TEST|spam|0|1000");
    await eventually(() => host.status()[0].suppressedOutput === 1000 - OUTPUT_BURST, "800");
    assertEquals(fromBot(log, /^log \d+$/).length, OUTPUT_BURST);
    assertEquals(fromBot(log, /suppressed/), []);
    // No later line from the bot: the host clock alone ends the window.
    await clock.advance(SUMMARY_INTERVAL_MS);
    const [summary] = fromBot(log, /suppressed/);
    assertEquals(summary?.level, "warn");
    assert(/^800 lines of output suppressed \(800 from ctx\.log\)/.test(summary.msg), summary.msg);
  });
});

Deno.test("a bot stopped while its output is suppressed gets the summary at once and leaves no timer (real clock)", async () => {
  const log = memoryLogger();
  const host = createHost({
    manifest: fixtureManifest("chatty"),
    logger: log,
    sink: recordingSink().sink,
    guardContext,
    launcher: await launcher(),
  });
  try {
    await host.start();
    host.deliver("TEST|spam|1000|0");
    await eventually(() => host.status()[0].suppressedOutput > 0, "suppression to start");
  } finally {
    // Deno's sanitizers fail this test if the summary timer outlives the bot.
    await host.stop();
  }
  assertEquals(fromBot(log, /lines of output suppressed \(\d+ printed\)/).length, 1);
});
