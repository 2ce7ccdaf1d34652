import { assert, assertEquals, eventually } from "../assert.ts";
import { createHost, type Host } from "../../runtime/host/host.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import type { BotSpec } from "../../runtime/manifest/types.ts";
import {
  botSpec,
  fixtureManifest,
  FIXTURES,
  guardContext,
  launcher,
  recordingSink,
} from "./helpers.ts";

type Log = ReturnType<typeof memoryLogger>;

async function withBot(
  name: string | BotSpec,
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

Deno.test("a bot survives whatever it throws (null-prototype object, hostile Proxy, throwing toString, throwing message/stack getters), each reported", async () => {
  await withBot("throws", async (host, _log, rec) => {
    const pid = host.status()[0].pid;
    for (let i = 0; i < 4; i++) {
      host.deliver(`TEST|throw|${i}`);
      host.deliver(`TEST|athrow|${i}`);
    }
    // Per value: the handler, its timer, a rejection, a setTimeout throw, the async handler.
    await eventually(() => host.status()[0].handlerErrors === 20, "every throw reported");
    host.deliver("TEST|alive");
    await rec.waitLine(/^TEST\|alive$/);
    const st = host.status()[0];
    assertEquals([st.state, st.restarts, st.pid], ["running", 0, pid]);
    assert(/cannot be described|Object|Error/.test(st.lastError ?? ""), st.lastError);
  });
});

Deno.test("a loop of 100k sends nobody awaits meets the rate limit, not the heap; onError hears every refusal", async () => {
  // The loop itself runs in one handler: on a loaded machine it took over the 2 s test default
  // and the watchdog (rightly) killed it, which is not what this test is about.
  const spec = botSpec("sendloop", FIXTURES + "sendloop", {
    budgets: { handlerMs: 30_000, heapMb: 64, messagesPerSecond: 50, burst: 50 },
  });
  await withBot(spec, async (host, log, rec) => {
    const pid = host.status()[0].pid;
    host.deliver("TEST|loop");
    await eventually(() => log.records.some((r) => r.msg === "looped"), "the loop to end");
    await eventually(
      () => rec.lines.length + host.status()[0].rateLimited === 100_000,
      "every send checked",
    );
    await host.ping(); // the bot has read every refusal written before
    host.deliver("TEST|count");
    await eventually(() => log.records.some((r) => r.msg.startsWith("refused ")), "the count");
    const refused = host.status()[0].rateLimited;
    assert(refused > 99_000, `only ${refused} refused`);
    assertEquals(
      log.records.find((r) => r.msg.startsWith("refused "))!.msg,
      `refused ${refused} other 0`,
    );
    const st = host.status()[0];
    assertEquals([st.state, st.restarts, st.pid, st.handlerErrors], ["running", 0, pid, 0]);
  });
});

Deno.test("a timer storm past the bot's timer budget gets too-many-timers at once from every, sleep and waitFor; the host holds only the budget", async () => {
  await withBot("timerstorm", async (host, log, rec) => {
    host.deliver("TEST|storm");
    await eventually(
      () => log.records.some((r) => r.msg.startsWith("storm ")),
      "the storm's report",
    );
    assertEquals(
      log.records.find((r) => r.msg.startsWith("storm "))!.msg,
      "storm refused 1000 too-many-timers sleep too-many-timers wait too-many-timers",
    );
    await eventually(() => host.status()[0].inFlight === 0, "quiet");
    host.deliver("TEST|alive");
    await rec.waitLine(/^TEST\|alive$/);
    assertEquals(host.status()[0].restarts, 0);
  });
});
