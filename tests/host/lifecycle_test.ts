import { assert, assertEquals } from "../assert.ts";
import { createHost } from "../../runtime/host/host.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import type { WireUnit } from "../../runtime/wire/types.ts";
import { fixtureManifest, guardContext, launcher, recordingSink } from "./helpers.ts";

Deno.test("setup lines go out first on connect; hooks run on connect, disconnect and stop", async () => {
  const rec = recordingSink();
  const log = memoryLogger();
  const host = createHost({
    manifest: fixtureManifest("lifecycle"),
    logger: log,
    sink: rec.sink,
    guardContext,
    launcher: await launcher(),
  });
  try {
    await host.start();
    host.connected("c1");
    await rec.waitLine(/^MESSAGE\|connected/);
    assertEquals(rec.lines.map((l) => l.text), ["MESSAGE|setup", "MESSAGE|connected true"]);
    host.disconnected();
    const end = Date.now() + 10_000;
    while (!log.records.some((r) => r.msg === "disconnected false") && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert(log.records.some((r) => r.msg === "disconnected false"), "no disconnect hook");
  } finally {
    await host.stop();
  }
  assertEquals(rec.lines.at(-1)?.text, "MESSAGE|stopping");
});

Deno.test("with a Link's setSetup, the host hands it the checked setup units instead", async () => {
  const rec = recordingSink();
  let setup: readonly WireUnit[] = [];
  const host = createHost({
    manifest: fixtureManifest("lifecycle"),
    logger: memoryLogger(),
    sink: rec.sink,
    guardContext,
    launcher: await launcher(),
    setSetup: (units) => (setup = units),
  });
  try {
    await host.start();
    const end = Date.now() + 10_000;
    while (setup.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assertEquals(setup.map((u) => u.text), ["MESSAGE|setup"]);
    host.connected("c1");
    await rec.waitLine(/^MESSAGE\|connected/);
    assertEquals(rec.lines.map((l) => l.text), ["MESSAGE|connected true"]);
  } finally {
    await host.stop();
  }
});
