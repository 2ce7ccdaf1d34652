import { assert, assertEquals, eventually } from "../assert.ts";
import { createHost } from "../../runtime/host/host.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import type { GuardContext } from "../../runtime/wire/guard.ts";
import type { WireUnit } from "../../runtime/wire/types.ts";
import {
  botSpec,
  fixtureManifest,
  FIXTURES,
  launcher,
  memoryRuntime,
  recordingSink,
} from "./helpers.ts";

const spec = botSpec("setupguard", FIXTURES + "setupguard", { allow: ["VALUE_UNSET"] });

/** A guard context whose Plugin_Variables list the test changes, as the session's tracker does. */
function liveContext() {
  const state: { variables?: readonly string[] } = { variables: ["x", "y"] };
  const context = (): GuardContext => ({
    commands: { hasStartupFst: false, variables: state.variables },
  });
  return { state, context };
}

Deno.test("on disconnect the host re-checks setup lines and hands the Link only those that still pass; the refusal is logged with the bot's name once and reaches the bot's onError", async () => {
  const { state, context } = liveContext();
  const log = memoryLogger();
  let setup: readonly WireUnit[] = [];
  const host = createHost({
    manifest: fixtureManifest(spec),
    logger: log,
    sink: recordingSink().sink,
    guardContext: context,
    launcher: await launcher(),
    setSetup: (units) => (setup = units),
  });
  const texts = () => setup.map((u) => u.text);
  const refusals = () => log.records.filter((r) => r.msg.startsWith("setup line refused"));
  try {
    await host.start();
    // Granted and safe while the list is known (x is its first name).
    await eventually(() => setup.length === 2, "both setup lines checked");
    host.connected("c1");
    assertEquals(texts(), ["VALUE_UNSET|x", "MESSAGE|setup"]);
    // The connection drops: sets may be missed from now on, so the list is no longer known.
    state.variables = undefined;
    host.disconnected();
    assertEquals(texts(), ["MESSAGE|setup"]);
    assertEquals(refusals().length, 1);
    assertEquals(refusals()[0].fields, {
      bot: "setupguard",
      code: "crash-trigger",
      line: "VALUE_UNSET|x",
    });
    await eventually(
      () => log.records.some((r) => r.msg.startsWith("onError crash-trigger setup line")),
      "the bot's onError hook to hear of it",
    );
    // Reconnecting keeps it out and does not log it again.
    host.connected("c2");
    assertEquals(texts(), ["MESSAGE|setup"]);
    assertEquals(refusals().length, 1);
    // Once the list is known again and the line passes, the Link gets it back.
    state.variables = ["y", "x"];
    host.disconnected();
    host.connected("c3");
    assertEquals(texts(), ["VALUE_UNSET|x", "MESSAGE|setup"]);
  } finally {
    await host.stop();
  }
});

Deno.test("over the one Link, each connection gets first only the setup lines that pass the current guard context", async () => {
  const log = memoryLogger();
  // The real guard context: Plugin_Variables' list is unknown (no PLUGIN_EVENT_ENABLE seen), so
  // the granted VALUE_UNSET|x does not pass and only the plain line is written, on each connection.
  const m = await memoryRuntime(fixtureManifest(spec), log);
  try {
    await m.rt.start();
    await m.rt.host.ping();
    m.connect("c1");
    await m.waitLine(/^MESSAGE\|setup$/);
    assertEquals(m.conns[0].lines, ["MESSAGE|setup"]);
    m.drop();
    m.connect("c2");
    await eventually(() => m.conns[1].lines.length === 1, "the replay");
    assertEquals(m.conns[1].lines, ["MESSAGE|setup"]);
    assert(log.records.some((r) => (r.fields as { bot?: string })?.bot === "setupguard"));
  } finally {
    await m.rt.stop();
  }
});
