import { assertEquals } from "../assert.ts";
import { createEchoTracker, ECHO_MAX, ECHO_TTL_MS } from "../../runtime/host/echo.ts";

Deno.test("a peer that never echoes: the memory stays bounded and forgets the oldest lines first", () => {
  const e = createEchoTracker();
  for (let i = 0; i < ECHO_MAX + 10; i++) e.sent(`MESSAGE|pong|${i}`, `b${i}`, i);
  for (let i = 0; i < 10; i++) assertEquals(e.match(`MESSAGE|pong|${i}`, ECHO_MAX + 10), undefined);
  assertEquals(e.match("MESSAGE|pong|10", ECHO_MAX + 10), "b10");
  assertEquals(e.match(`MESSAGE|pong|${ECHO_MAX + 9}`, ECHO_MAX + 10), `b${ECHO_MAX + 9}`);
});

Deno.test("matched and expired lines free their room: later sends and matches still pair up", () => {
  const e = createEchoTracker();
  // Many rounds of send + echo: nothing accumulates, the same form pairs in order every time.
  for (let i = 0; i < 3 * ECHO_MAX; i++) {
    e.sent("MESSAGE|x", "a", i);
    e.sent("MESSAGE|x", "b", i);
    assertEquals(e.match("MESSAGE|x", i), "a");
    assertEquals(e.match("MESSAGE|x", i), "b");
  }
  assertEquals(e.match("MESSAGE|x", 3 * ECHO_MAX), undefined);
  // An unmatched line expires after the TTL, even when only other forms are sent afterwards.
  e.sent("MESSAGE|old", "a", 0);
  e.sent("MESSAGE|new", "b", ECHO_TTL_MS + 1);
  assertEquals(e.match("MESSAGE|old", ECHO_TTL_MS + 1), undefined);
  assertEquals(e.match("MESSAGE|new", ECHO_TTL_MS + 1), "b");
});
