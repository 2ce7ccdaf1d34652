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
