import { assertEquals } from "./assert.ts";
import { createHost } from "../../runtime/host/host.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { fixtureManifest, guardContext, launcher, recordingSink } from "./helpers.ts";

Deno.test("a bot process answers a delivered message through the sink", async () => {
  const rec = recordingSink();
  const host = createHost({
    manifest: fixtureManifest("echo"),
    logger: memoryLogger(),
    sink: rec.sink,
    guardContext,
    launcher: await launcher(),
  });
  try {
    await host.start();
    assertEquals(host.status()[0].state, "running");
    host.deliver("RECOG_EVENT_STOP|hello");
    const line = await rec.waitLine(/^SYNTH_START/);
    assertEquals(line, "SYNTH_START|mei|normal|echo hello 1");
    assertEquals(rec.lines[0].source, "echo");
  } finally {
    await host.stop();
  }
});
