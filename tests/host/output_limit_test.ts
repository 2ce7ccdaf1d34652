import { assert, assertEquals, eventually } from "../assert.ts";
import { createHost, type Host } from "../../runtime/host/host.ts";
import { VirtualClock } from "../../runtime/clock/virtual.ts";
import { type LogRecord, memoryLogger } from "../../runtime/log/logger.ts";
import { OUTPUT_BURST } from "../../runtime/host/output_log.ts";
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

Deno.test("a bot flooding only ctx.log is cut at the burst, and the summary names ctx.log", async () => {
  await withChatty(async (host, log, clock) => {
    host.deliver("TEST|spam|0|1000");
    await eventually(() => host.status()[0].suppressedOutput === 1000 - OUTPUT_BURST, "800");
    assertEquals(fromBot(log, /^log \d+$/).length, OUTPUT_BURST);
    await clock.advance(1000);
    host.deliver("TEST|say|after");
    await eventually(() => fromBot(log, /^after$/).length === 1, "the later record");
    const [summary] = fromBot(log, /suppressed/);
    assertEquals(summary?.level, "warn");
    assert(/^800 lines of output suppressed \(800 from ctx\.log\)/.test(summary.msg), summary.msg);
  });
});
