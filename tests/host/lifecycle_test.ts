import { assert, assertEquals } from "../assert.ts";
import { createHost } from "../../runtime/host/host.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import type { WireUnit } from "../../runtime/wire/types.ts";
import {
  fixtureManifest,
  guardContext,
  launcher,
  memoryRuntime,
  recordingSink,
} from "./helpers.ts";

Deno.test("setup lines go out first on connect; hooks run on connect, disconnect and stop", async () => {
  const log = memoryLogger();
  const m = await memoryRuntime(fixtureManifest("lifecycle"), log);
  try {
    await m.rt.start();
    m.connect("c1");
    await m.waitLine(/^MESSAGE\|connected/);
    assertEquals(m.lines(), ["MESSAGE|setup", "MESSAGE|connected true"]);
    m.drop();
    const end = Date.now() + 10_000;
    while (!log.records.some((r) => r.msg === "disconnected false") && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert(log.records.some((r) => r.msg === "disconnected false"), "no disconnect hook");
    // Back again: the setup line is replayed first, once, then the bot greets.
    m.connect("c2");
    while (m.conns[1].lines.length < 2 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assertEquals(m.conns[1].lines, ["MESSAGE|setup", "MESSAGE|connected true"]);
  } finally {
    await m.rt.stop();
  }
  assertEquals(m.lines().at(-1), "MESSAGE|stopping");
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
