import { assertEquals } from "../assert.ts";
import { createRestarts } from "../../runtime/host/supervisor.ts";
import { createWatchdog } from "../../runtime/host/budget.ts";
import { formatBotError } from "../../runtime/host/load_error.ts";
import { createEchoTracker } from "../../runtime/host/echo.ts";

Deno.test("restart backoff doubles up to the cap and disables after maxFailures in the window", () => {
  const r = createRestarts({
    initialBackoffMs: 100,
    maxBackoffMs: 300,
    maxFailures: 4,
    windowMs: 1000,
  });
  assertEquals(r.failure(0), { action: "restart", delayMs: 100, failures: 1 });
  assertEquals(r.failure(10), { action: "restart", delayMs: 200, failures: 2 });
  assertEquals(r.failure(20), { action: "restart", delayMs: 300, failures: 3 });
  // Failures older than the window are forgotten.
  assertEquals(r.failure(1015), { action: "restart", delayMs: 200, failures: 2 });
  assertEquals(r.failure(1016).action, "restart");
  assertEquals(r.failure(1017), { action: "disable", failures: 4 });
});

Deno.test("the watchdog measures time without progress, not time since a message was queued", () => {
  let now = 0;
  const w = createWatchdog(100, () => now);
  w.sent(1);
  w.sent(2);
  now = 90;
  w.acked(1);
  now = 180;
  assertEquals(w.overdue(), undefined);
  now = 191;
  assertEquals(w.overdue(), 101);
  w.acked(2);
  assertEquals(w.overdue(), undefined);
});

Deno.test("load errors point at the author's file and line, without Deno's TypeError wrapper", () => {
  const text = formatBotError(
    {
      name: "TypeError",
      message: "SyntaxError: Expression expected at file:///b/greeter/bot.ts:2:23",
    },
    "/b/greeter",
  );
  assertEquals(text, "/b/greeter/bot.ts:2:23: SyntaxError: Expression expected");
});

Deno.test("each sent line matches one echo, in MMDAgent-EX's echo form", () => {
  const e = createEchoTracker();
  e.sent("__AV_MESSAGE,MESSAGE|x", "a", 0);
  e.sent("MESSAGE|x", "b", 1);
  assertEquals(e.match("MESSAGE|x", 10), "a");
  assertEquals(e.match("MESSAGE|x", 11), "b");
  assertEquals(e.match("MESSAGE|x", 12), undefined);
  e.sent("MESSAGE|late", "a", 0);
  assertEquals(e.match("MESSAGE|late", 60_000), undefined);
});
