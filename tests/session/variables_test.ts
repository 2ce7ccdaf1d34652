import { assertEquals } from "../assert.ts";
import { createVariableTracker } from "../../runtime/session/variables.ts";

Deno.test("the variable list is unknown until MMDAgent-EX's start-up announcement is seen", () => {
  const t = createVariableTracker();
  t.observe("VALUE_EVENT_SET", ["a"]);
  assertEquals(t.known(), undefined);
});

Deno.test("after start-up, names are listed in order of their first set and unsets remove them", () => {
  const t = createVariableTracker();
  t.observe("PLUGIN_EVENT_ENABLE", ["Variables"]);
  t.observe("VALUE_EVENT_SET", ["a"]);
  t.observe("VALUE_EVENT_SET", ["b"]);
  t.observe("VALUE_EVENT_SET", ["a"]);
  t.observe("VALUE_EVENT_SET", ["c"]);
  assertEquals(t.known(), ["a", "b", "c"]);
  t.observe("VALUE_EVENT_UNSET", ["a"]);
  assertEquals(t.known(), ["b", "c"]);
});

Deno.test("a disconnect makes the list unknown again, because sets may be missed meanwhile", () => {
  const t = createVariableTracker();
  t.observe("PLUGIN_EVENT_ENABLE", ["Variables"]);
  t.observe("VALUE_EVENT_SET", ["a"]);
  t.disconnected();
  assertEquals(t.known(), undefined);
});

Deno.test("a re-enable of the plugin after sets does not pretend the list restarted", () => {
  const t = createVariableTracker();
  t.observe("VALUE_EVENT_SET", ["a"]);
  t.observe("PLUGIN_EVENT_ENABLE", ["Variables"]);
  assertEquals(t.known(), undefined);
});

Deno.test("past its limit the tracker forgets the list and calls it unknown, so memory stays bounded", () => {
  const t = createVariableTracker(100);
  t.observe("PLUGIN_EVENT_ENABLE", ["Variables"]);
  for (let i = 0; i < 100; i++) t.observe("VALUE_EVENT_SET", [`n${i}`]);
  assertEquals(t.known()?.length, 100);
  t.observe("VALUE_EVENT_SET", ["one-too-many"]);
  assertEquals(t.known(), undefined);
  // A flood of new names afterwards holds at most the limit, and the list stays unknown.
  for (let i = 0; i < 100_000; i++) t.observe("VALUE_EVENT_SET", [`m${i}`]);
  assertEquals(t.known(), undefined);
  // Nor does a later plugin announcement make the forgotten list look empty and complete.
  for (let i = 0; i < 100; i++) t.observe("VALUE_EVENT_UNSET", [`m${99_900 + i}`]);
  t.observe("PLUGIN_EVENT_ENABLE", ["Variables"]);
  assertEquals(t.known(), undefined);
});

Deno.test("the known list is the same array until a set or unset changes it", () => {
  const t = createVariableTracker();
  t.observe("PLUGIN_EVENT_ENABLE", ["Variables"]);
  t.observe("VALUE_EVENT_SET", ["a"]);
  const first = t.known();
  t.observe("VALUE_EVENT_SET", ["a"]);
  t.observe("RECOG_EVENT_STOP", ["hello"]);
  assertEquals(t.known() === first, true);
  t.observe("VALUE_EVENT_SET", ["b"]);
  assertEquals(t.known(), ["a", "b"]);
});
