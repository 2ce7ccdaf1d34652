import { assert, assertEquals } from "../assert.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { createLogThrottle } from "../../runtime/log/throttle.ts";
import { VirtualClock } from "../../runtime/clock/virtual.ts";

Deno.test("a flood of one kind writes a few records a window and one summary naming the count", async () => {
  const log = memoryLogger();
  const clock = new VirtualClock();
  const t = createLogThrottle(log, clock, { perWindow: 3, windowMs: 1000 });
  for (let i = 0; i < 100_000; i++) t.log("flood:acl", "warn", `refused ${i}`, { bot: "flood" });
  t.log("other", "warn", "another kind is not silenced");
  assertEquals(log.records.length, 4);
  await clock.advance(1000);
  const summary = log.records.at(-1)!;
  assert(summary.msg.startsWith("99997 more like this left out"), summary.msg);
  assertEquals(summary.fields?.bot, "flood");
  assertEquals(summary.fields?.suppressed, 99_997);
  assertEquals(t.suppressed, 99_997);
  // The next window starts fresh; a quiet window ends the timer.
  t.log("flood:acl", "warn", "again");
  assertEquals(log.records.length, 6);
  await clock.advance(5000);
  assertEquals(log.records.length, 6);
  t.close();
});

Deno.test("close writes what is still held back", () => {
  const log = memoryLogger();
  const clock = new VirtualClock();
  const t = createLogThrottle(log, clock, { perWindow: 1 });
  t.log("k", "error", "a");
  t.log("k", "error", "b");
  t.close();
  assertEquals(log.records.map((r) => r.msg), [
    "a",
    "1 more like this left out of the log in the last 1 s: b",
  ]);
});

Deno.test("skip counts a record of a kind whose window is spent, and nothing otherwise", async () => {
  const log = memoryLogger();
  const clock = new VirtualClock();
  const t = createLogThrottle(log, clock, { perWindow: 2, windowMs: 1000 });
  assertEquals(t.skip("k"), false); // never written: the record must be built and logged
  t.log("k", "error", "a");
  assertEquals(t.skip("k"), false);
  t.log("k", "error", "b");
  assertEquals([t.skip("k"), t.skip("k"), t.skip("other")], [true, true, false]);
  assertEquals(t.suppressed, 2);
  await clock.advance(1000);
  assertEquals(log.records.map((r) => r.msg), [
    "a",
    "b",
    "2 more like this left out of the log in the last 1 s: b",
  ]);
  // A new window has budget again.
  assertEquals(t.skip("k"), false);
  t.close();
});
