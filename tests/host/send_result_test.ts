import { assertEquals, assertMatch, eventually } from "../assert.ts";
import { createHost } from "../../runtime/host/host.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { fixtureManifest, guardContext, launcher, recordingSink } from "./helpers.ts";

// The host answers a successful send only when the bot looks at its promise (a reply to a bot that
// ignores it would only wake the bot); these prove every way of looking still gets the status.
Deno.test("a send's result reaches the bot whether it awaits it, chains then, or awaits it later; an ignored refusal is still reported", async () => {
  const rec = recordingSink();
  const log = memoryLogger();
  const host = createHost({
    manifest: fixtureManifest("sendresult"),
    logger: log,
    sink: rec.sink,
    guardContext,
    launcher: await launcher(),
  });
  try {
    await host.start();
    host.deliver("TEST|await");
    assertEquals(await rec.waitLine(/^TEST\|awaited/), "TEST|awaited written");
    host.deliver("TEST|then");
    assertEquals(await rec.waitLine(/^TEST\|then/), "TEST|then written");
    host.deliver("TEST|keep");
    await rec.waitLine(/^TEST\|kept$/);
    await host.ping();
    host.deliver("TEST|later");
    assertEquals(await rec.waitLine(/^TEST\|later/), "TEST|later written");
    host.deliver("TEST|ignored-refusal");
    await eventually(() => host.status()[0].handlerErrors === 1, "the refusal reported");
    assertMatch(host.status()[0].lastError ?? "", /unhandled rejection/);
    assertEquals(rec.lines.filter((l) => l.text.startsWith("EXECUTE")).length, 0);
  } finally {
    await host.stop();
  }
});

Deno.test("request ids forged far apart on a bot's stdout neither stall the host nor stop the bot", async () => {
  const rec = recordingSink();
  const host = createHost({
    manifest: fixtureManifest("forger"),
    logger: memoryLogger(),
    sink: rec.sink,
    guardContext,
    launcher: await launcher(),
  });
  try {
    await host.start();
    host.deliver("TEST|forge");
    assertEquals(await rec.waitLine(/^TEST\|still/), "TEST|still answering");
    assertEquals(rec.lines.filter((l) => l.text.startsWith("TEST|forged")).length, 3);
  } finally {
    await host.stop();
  }
});
