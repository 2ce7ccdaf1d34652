import { assertEquals, eventually } from "../assert.ts";
import { createHost } from "../../runtime/host/host.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { fixtureManifest, guardContext, launcher, recordingSink } from "./helpers.ts";

// The host answers a successful send only when the bot looks at its promise (a reply to a bot that
// ignores it would only wake the bot); these prove every way of looking still gets the status.
Deno.test("a send's result reaches the bot whether it awaits it, chains then, or awaits it later; an ignored refusal reaches onError and the log", async () => {
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
    host.deliver("TEST|returned-refusal");
    const heard = () => log.records.filter((r) => r.msg === "onError acl-denied").length;
    await eventually(() => heard() === 2, "both refusals heard by onError");
    const logged = log.records.filter((r) =>
      r.level === "warn" && (r.fields as { bot?: string })?.bot === "sendresult" &&
      /EXECUTE/.test(r.msg)
    );
    assertEquals(logged.length, 2);
    assertEquals(host.status()[0].handlerErrors, 0);
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
