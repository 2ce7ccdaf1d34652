/**
 * The host's bounds, proven with real bot processes: whatever one bot makes long or many (error
 * texts, IPC lines, refusals, timers, memory) costs the host a bounded amount, and a normal bot
 * beside it keeps answering. No figure here is a speed goal (`deno task bench` reports those);
 * the waits are generous bounds that only catch what the old code did (seconds per message).
 */
import { assert, assertEquals } from "../assert.ts";
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

type Ctx = {
  host: Host;
  rec: ReturnType<typeof recordingSink>;
  log: ReturnType<typeof memoryLogger>;
};

async function withHost(bots: (string | BotSpec)[], fn: (c: Ctx) => Promise<void>) {
  const rec = recordingSink();
  const log = memoryLogger();
  const host = createHost({
    manifest: fixtureManifest(...bots),
    logger: log,
    sink: rec.sink,
    guardContext,
    launcher: await launcher(),
  });
  try {
    await host.start();
    await fn({ host, rec, log });
  } finally {
    await host.stop();
  }
}

async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The longest the host's event loop was blocked while `fn` ran (a 5 ms ticker's worst delay). */
async function loopLag(fn: () => Promise<void>): Promise<number> {
  let worst = 0;
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 5);
    last = now;
  }, 5);
  try {
    await fn();
  } finally {
    clearInterval(tick);
  }
  return worst;
}

const attacker = () =>
  botSpec("attacker", FIXTURES + "attacker", {
    budgets: { handlerMs: 10_000, heapMb: 128, messagesPerSecond: 50, burst: 50 },
  });

Deno.test("forged 64 KiB error lines of the shapes that were quadratic cost the host little each, and the normal bot keeps answering", async () => {
  await withHost([attacker(), "echo"], async ({ host, rec, log }) => {
    await rec.waitLine(/^TEST\|attacker started/);
    const N = 60;
    let answered = 0;
    const started = performance.now();
    const lag = await loopLag(async () => {
      host.deliver(`TEST|forge-errors ${N}`);
      // Hellos to the normal bot while the host works through the forged errors.
      for (let i = 0; host.status()[0].handlerErrors < N; i++) {
        host.deliver(`RECOG_EVENT_STOP|hello${i}`);
        await rec.waitLine((t) => t.includes(`echo hello${i} `), 10_000);
        answered++;
        await new Promise((r) => setTimeout(r, 20));
        assert(performance.now() - started < 60_000, "the forged errors were not all handled");
      }
    });
    const perError = (performance.now() - started) / N;
    console.log(
      `  ${N} forged 64 KiB errors: worst event-loop block ${lag.toFixed(1)} ms, ` +
        `${
          perError.toFixed(1)
        } ms wall per error (shared machine), ${answered} hellos answered meanwhile`,
    );
    // The old regexes blocked the loop 0.7 to 8.5 s per error; this only catches that.
    assert(lag < 2000, `the host's event loop was blocked ${lag} ms`);
    assertEquals(host.status()[0].handlerErrors, N);
    // The log got a few of them and a summary, not 60 records of 64 KiB.
    const errors = log.records.filter((r) =>
      r.scope.endsWith("bot:attacker") && r.level === "error"
    );
    assert(errors.length < N, `${errors.length} error records for ${N} errors`);
    for (const r of errors) assert(r.msg.length < 2000, `a ${r.msg.length}-character error record`);
    assert((host.status()[0].lastError ?? "").length < 2000, "lastError not cut");
  });
});

Deno.test("long errors thrown through the bot API are reported cut, one record each at most, and the bot keeps running", async () => {
  await withHost([attacker(), "echo"], async ({ host, rec }) => {
    await rec.waitLine(/^TEST\|attacker started/);
    const lag = await loopLag(async () => {
      for (let i = 0; i < 30; i++) host.deliver("TEST|throw-long");
      await until(() => host.status()[0].handlerErrors === 30, "30 handler errors");
    });
    console.log(`  30 long thrown errors: worst event-loop block ${lag.toFixed(1)} ms`);
    assert(lag < 2000, `the host's event loop was blocked ${lag} ms`);
    host.deliver("RECOG_EVENT_STOP|after");
    await rec.waitLine(/echo after/);
    assertEquals(host.status()[0].state, "running");
  });
});
