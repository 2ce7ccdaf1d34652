import { assert, assertEquals } from "../assert.ts";
import { VirtualClock } from "../../runtime/clock/virtual.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import {
  createOutputLog,
  OUTPUT_BURST,
  OUTPUT_LINES_PER_SECOND,
  SUMMARY_INTERVAL_MS,
} from "../../runtime/host/output_log.ts";

const summaries = (log: ReturnType<typeof memoryLogger>) =>
  log.records.filter((r) => /lines of output suppressed/.test(r.msg)).map((r) => r.msg);

Deno.test("a bot that floods once and goes quiet gets its suppression summary when the window ends, then no timer is left", async () => {
  const clock = new VirtualClock();
  const log = memoryLogger();
  const out = createOutputLog(log, clock);
  for (let i = 0; i < OUTPUT_BURST + 50; i++) out.print(`p${i}`);
  for (let i = 0; i < OUTPUT_BURST + 7; i++) out.record("info", `l${i}`);
  // One timer for the bot, however many lines were suppressed.
  assertEquals(clock.pendingTimers, 1);
  assertEquals(summaries(log), []);
  await clock.advance(SUMMARY_INTERVAL_MS);
  assertEquals(summaries(log).length, 1);
  assert(/^57 lines of output suppressed \(50 printed, 7 from ctx\.log\)/.test(summaries(log)[0]));
  assertEquals(log.records.find((r) => /suppressed/.test(r.msg))?.level, "warn");
  // The next window suppressed nothing: it ends quietly and the timer is gone.
  await clock.advance(SUMMARY_INTERVAL_MS);
  assertEquals(summaries(log).length, 1);
  assertEquals(clock.pendingTimers, 0);
  assertEquals(out.suppressed, 57);
});

Deno.test("a steady flood gets one summary per window, and lines get through at the refill rate", async () => {
  const clock = new VirtualClock();
  const log = memoryLogger();
  const out = createOutputLog(log, clock);
  const passed = () => log.records.filter((r) => /^p\d+$/.test(r.msg)).length;
  for (let i = 0; i < OUTPUT_BURST; i++) out.print(`p${i}`);
  // Three seconds of 100 lines/s, in steps of 10 ms.
  for (let step = 0; step < 300; step++) {
    out.print(`p${OUTPUT_BURST + step}`);
    await clock.advance(10);
  }
  // 2.99 s of refill when the last line came (floating point may lose the last token).
  const refilled = passed() - OUTPUT_BURST;
  assert(refilled >= 3 * OUTPUT_LINES_PER_SECOND - 2 && refilled <= 3 * OUTPUT_LINES_PER_SECOND);
  assertEquals(summaries(log).length, 3);
  assertEquals(out.suppressed, 300 - refilled);
  out.close();
  assertEquals(clock.pendingTimers, 0);
});

Deno.test("closing the output log reports what is unreported at once and clears its timer", () => {
  const clock = new VirtualClock();
  const log = memoryLogger();
  const out = createOutputLog(log, clock);
  for (let i = 0; i < OUTPUT_BURST + 3; i++) out.record("warn", `l${i}`);
  assertEquals(clock.pendingTimers, 1);
  out.close();
  assertEquals(clock.pendingTimers, 0);
  assertEquals(summaries(log).length, 1);
  assert(summaries(log)[0].startsWith("3 lines of output suppressed (3 from ctx.log)"));
  // Records at a level the logger leaves out cost nothing and are not counted.
  const quiet = memoryLogger("warn");
  const out2 = createOutputLog(quiet, clock);
  for (let i = 0; i < OUTPUT_BURST * 2; i++) out2.record("debug", `d${i}`);
  assertEquals(out2.suppressed, 0);
  out2.record("warn", "kept");
  assertEquals(quiet.records.map((r) => r.msg), ["kept"]);
});
