import { assert, assertEquals, eventually } from "../assert.ts";
import { createHost } from "../../runtime/host/host.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import type { GuardContext } from "../../runtime/wire/guard.ts";
import type { WireUnit } from "../../runtime/wire/types.ts";
import { botSpec, fixtureManifest, FIXTURES, launcher, recordingSink } from "./helpers.ts";

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

Deno.test("without a Link's setSetup, the host itself sends on connect only the setup lines that pass the current guard context", async () => {
  const { state, context } = liveContext();
  const rec = recordingSink();
  const log = memoryLogger();
  const host = createHost({
    manifest: fixtureManifest(spec),
    logger: log,
    sink: rec.sink,
    guardContext: context,
    launcher: await launcher(),
  });
  try {
    await host.start();
    await host.ping();
    host.connected("c1");
    await rec.waitLine(/^MESSAGE\|setup$/);
    assertEquals(rec.lines.map((l) => l.text), ["VALUE_UNSET|x", "MESSAGE|setup"]);
    state.variables = undefined;
    host.disconnected();
    host.connected("c2");
    await eventually(() => rec.lines.length === 3, "the replay");
    assertEquals(rec.lines.map((l) => l.text).slice(2), ["MESSAGE|setup"]);
    assert(log.records.some((r) => (r.fields as { bot?: string })?.bot === "setupguard"));
  } finally {
    await host.stop();
  }
});
