import { assert, assertEquals, assertMatch } from "../assert.ts";
import { createHost, type Host } from "../../runtime/host/host.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import type { BotSpec } from "../../runtime/manifest/types.ts";
import { VirtualClock } from "../../runtime/clock/virtual.ts";
import type { Clock } from "../../runtime/clock/clock.ts";
import {
  botSpec,
  fixtureManifest,
  FIXTURES,
  guardContext,
  launcher,
  recordingSink,
} from "./helpers.ts";

async function withHost(
  bots: (string | BotSpec)[],
  fn: (h: {
    host: Host;
    rec: ReturnType<typeof recordingSink>;
    log: ReturnType<typeof memoryLogger>;
  }) => Promise<void>,
  clock?: Clock,
): Promise<void> {
  const rec = recordingSink();
  const log = memoryLogger();
  const host = createHost({
    manifest: fixtureManifest(...bots),
    logger: log,
    sink: rec.sink,
    guardContext,
    launcher: await launcher(),
    clock,
  });
  try {
    await host.start();
    await fn({ host, rec, log });
  } finally {
    await host.stop();
  }
}

function pidAlive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("a bot process answers a delivered message through the sink, with typed args", async () => {
  await withHost(["echo"], async ({ host, rec }) => {
    assertEquals(host.status()[0].state, "running");
    host.deliver("RECOG_EVENT_STOP|hello");
    const line = await rec.waitLine(/^SYNTH_START/);
    assertEquals(line, "SYNTH_START|mei|normal|echo hello 1");
    assertEquals(rec.lines[0].source, "echo");
  });
});

Deno.test("a denied command (EXECUTE) rejects the bot's send and nothing reaches the sink", async () => {
  await withHost(["echo"], async ({ host, rec }) => {
    host.deliver("TEST|execute");
    const line = await rec.waitLine(/^TEST\|/);
    assertEquals(line, "TEST|refused RefusedError acl-denied");
    assert(!rec.lines.some((l) => l.text.startsWith("EXECUTE")), "EXECUTE reached the sink");
  });
});

Deno.test("a throwing handler is reported with file:line and the bot keeps answering", async () => {
  await withHost(["echo"], async ({ host, rec, log }) => {
    host.deliver("TEST|throw");
    host.deliver("RECOG_EVENT_STOP|after");
    await rec.waitLine(/^SYNTH_START\|mei\|normal\|echo after/);
    await until(() => host.status()[0].handlerErrors === 1, "the error report");
    const err = log.records.find((r) => r.level === "error" && r.msg.includes("boom"));
    assert(err, "error not logged");
    assertMatch(err.msg, /fixtures\/echo\/bot\.ts:12:\d+: Error: boom from a handler/);
    assertEquals(host.status()[0].state, "running");
    assertEquals(host.status()[0].restarts, 0);
  });
});

Deno.test("a spinning bot is killed within its budget while another bot answers during and after", async () => {
  const spin = botSpec("spin", FIXTURES + "spin", {
    budgets: { handlerMs: 300, heapMb: 64, messagesPerSecond: 50, burst: 50 },
  });
  await withHost([spin, "waiter"], async ({ host, rec, log }) => {
    const pid = host.status()[0].pid!;
    host.deliver("TEST|spin");
    host.deliver("PING");
    // The other bot answers while the spinning one burns its core.
    await rec.waitLine((t) => t === "PONG|waiter");
    await until(() => !pidAlive(pid), "the spinning process to be killed");
    await until(
      () => log.records.some((r) => r.msg.includes("more than 300 ms")),
      "the kill reason in the log",
    );
    // Restarted after backoff, and both bots answer again.
    await until(
      () => host.status()[0].state === "running" && host.status()[0].pid !== pid,
      "restart",
    );
    assertEquals(host.status()[0].restarts, 1);
    rec.lines.length = 0;
    host.deliver("PING");
    await rec.waitLine((t) => t === "PONG|waiter");
    await rec.waitLine((t) => t === "PONG|spin");
  });
});

Deno.test("an out-of-memory bot is isolated and restarted with backoff", async () => {
  const oom = botSpec("oom", FIXTURES + "oom", {
    budgets: { handlerMs: 10_000, heapMb: 32, messagesPerSecond: 50, burst: 50 },
    restart: { initialBackoffMs: 200, maxBackoffMs: 5000, maxFailures: 5, windowMs: 60_000 },
  });
  await withHost([oom, "echo"], async ({ host, rec, log }) => {
    await rec.waitLine(/^TEST\|oom bot started/);
    const pid = host.status()[0].pid!;
    host.deliver("TEST|oom");
    await until(() => host.status()[0].state !== "running", "the OOM crash");
    assertEquals(host.status()[0].failuresInWindow, 1);
    assertMatch(host.status()[0].lastError ?? "", /out of memory/);
    assert(log.records.some((r) => /restarting in 200 ms/.test(r.msg)), "no backoff logged");
    host.deliver("RECOG_EVENT_STOP|meanwhile");
    await rec.waitLine(/echo meanwhile/);
    await until(() => host.status()[0].state === "running", "the restart");
    assert(host.status()[0].pid !== pid, "same pid after restart");
    // "running" is set before the new process has run its start hook: wait for the hook's line.
    await until(
      () => rec.lines.filter((l) => l.text === "TEST|oom bot started").length === 2,
      "the restarted bot's start hook",
    );
    // A second crash doubles the delay.
    host.deliver("TEST|oom");
    await until(() => log.records.some((r) => /restarting in 400 ms/.test(r.msg)), "backoff x2");
  });
});

Deno.test("a flooding bot is rate-limited with a clear log and refusals to the bot", async () => {
  const flood = botSpec("flood", FIXTURES + "flood", {
    budgets: { handlerMs: 2000, heapMb: 64, messagesPerSecond: 10, burst: 20 },
  });
  await withHost([flood], async ({ host, rec, log }) => {
    host.deliver("TEST|flood");
    await until(() => log.records.some((r) => r.msg.startsWith("refused ")), "the bot's report");
    const sent = rec.lines.filter((l) => l.text.startsWith("MESSAGE|flood")).length;
    const refused = Number(log.records.find((r) => r.msg.startsWith("refused "))!.msg.slice(8));
    assert(sent >= 20 && sent < 40, `expected about the burst to pass, got ${sent}`);
    assertEquals(sent + refused, 200);
    assertEquals(host.status()[0].rateLimited, refused);
    assert(log.records.some((r) => r.msg.startsWith("rate limit tripped")), "no trip log");
  });
});

Deno.test("waitFor resolves from a later message without blocking other handlers", async () => {
  await withHost(["waiter"], async ({ host, rec }) => {
    host.deliver("TEST|wait|10000");
    host.deliver("PING");
    await rec.waitLine((t) => t === "PONG|waiter");
    host.deliver("DONE|yes");
    assertEquals(await rec.waitLine(/^TEST\|/), "TEST|got yes");
  });
});

Deno.test("waitFor times out on the host's virtual clock", async () => {
  const clock = new VirtualClock();
  await withHost(["waiter"], async ({ host, rec }) => {
    host.deliver("TEST|wait|5000");
    await until(() => clock.pendingTimers > 0, "the wait's timer in the host");
    await clock.advance(4999);
    host.deliver("PING");
    await rec.waitLine((t) => t === "PONG|waiter");
    assert(!rec.lines.some((l) => l.text.startsWith("TEST|")), "timed out early");
    await clock.advance(1);
    assertEquals(await rec.waitLine(/^TEST\|/), "TEST|timeout DONE");
  }, clock);
});

Deno.test("echoes are marked with the sending bot and skipped by that bot's own handlers", async () => {
  await withHost(["echo", "waiter"], async ({ host, rec }) => {
    host.deliver("RECOG_EVENT_STOP|one");
    const sent = await rec.waitLine(/^SYNTH_START/);
    // MMDAgent-EX echoes it back: the other bot sees whose it is; the sender ignores it.
    host.deliver(sent);
    assertEquals(await rec.waitLine(/^TEST\|echo of/), "TEST|echo of echo true");
    host.deliver("RECOG_EVENT_STOP|two");
    await rec.waitLine(/echo two 2$/);
    assert(!rec.lines.some((l) => l.text.includes("echo bot saw")), "own echo reached a handler");
    // The same text again is no longer an echo (each send matches one echo).
    host.deliver(sent);
    await rec.waitLine((t) => t === "TEST|echo of undefined false");
    await rec.waitLine((t) => t === "TEST|echo bot saw SYNTH_START");
  });
});
