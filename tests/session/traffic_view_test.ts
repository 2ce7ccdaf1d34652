/** The traffic view's line format: direction, producer, echo owner, escaped and capped lines. */
import { assertEquals } from "../assert.ts";
import { formatTraffic, VIEW_MAX_CHARS } from "../../runtime/session/traffic_view.ts";

const at = "2026-12-03T12:00:01.234Z";

Deno.test("an outgoing line shows its time, an arrow and the bot that sent it", () => {
  assertEquals(
    formatTraffic({ time: at, t: 0, dir: "out", conn: "c", bot: "greeter", line: "MESSAGE|hi" }),
    "12:00:01.234 → greeter  MESSAGE|hi",
  );
});

Deno.test("an inbound echo names whose line it is; other inbound lines have no producer", () => {
  const echo = { time: at, t: 0, dir: "in" as const, conn: "c", bot: "clock", echo: true };
  assertEquals(
    formatTraffic({ ...echo, line: "MESSAGE|hi" }),
    "12:00:01.234 ←          MESSAGE|hi  (echo of clock)",
  );
  assertEquals(
    formatTraffic({ time: at, t: 0, dir: "in", conn: "c", line: "KEY|a" }),
    "12:00:01.234 ←          KEY|a",
  );
});

Deno.test("control characters are escaped and a long line is cut with the rest counted", () => {
  const r = formatTraffic({ time: at, t: 0, dir: "in", conn: "c", line: "A|\x1b[2J\tx" });
  assertEquals(r, "12:00:01.234 ←          A|\\u001b[2J\\tx");
  const long = "B|" + "x".repeat(VIEW_MAX_CHARS + 50);
  const cut = formatTraffic({ time: at, t: 0, dir: "in", conn: "c", line: long });
  assertEquals(cut.endsWith("… (52 more chars)"), true, cut);
});
