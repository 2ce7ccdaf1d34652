import { assert, assertEquals, assertMatch } from "../assert.ts";
import { createHost } from "../../runtime/host/host.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { botSpec, FIXTURES, guardContext, launcher, recordingSink } from "./helpers.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;

function version(v: string): string {
  return `import { createBot } from "${MOD}";
const bot = createBot();
bot.hear(/^PING$/, (ctx) => ctx.sendRaw("PONG|${v}").then(() => {}));
export default bot;
`;
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test("an edit reloads only that bot; a broken edit keeps the old version running and says file:line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-reload-" });
  await Deno.writeTextFile(`${dir}/bot.ts`, version("v1"));
  const rec = recordingSink();
  const log = memoryLogger();
  const host = createHost({
    manifest: {
      file: dir + "/bots.yaml",
      bots: [botSpec("live", dir), botSpec("waiter", FIXTURES + "waiter")],
    },
    logger: log,
    sink: rec.sink,
    guardContext,
    launcher: await launcher(),
    watch: true,
  });
  try {
    await host.start();
    const waiterPid = host.status()[1].pid;
    const answers = async () => {
      const before = rec.lines.length;
      host.deliver("PING");
      await until(() => rec.lines.length >= before + 2, "both bots to answer PING");
      return rec.lines.slice(before).map((l) => l.text).sort();
    };
    assertEquals(await answers(), ["PONG|v1", "PONG|waiter"]);

    await Deno.writeTextFile(`${dir}/bot.ts`, version("v2"));
    await until(async () => (await answers()).includes("PONG|v2"), "the reload to v2");
    assertEquals(host.status()[1].pid, waiterPid, "the other bot was restarted");
    assertEquals(host.status()[0].restarts, 0);

    await Deno.writeTextFile(`${dir}/bot.ts`, version("v3").replace("createBot();", "createBot(;"));
    await until(
      () => log.records.some((r) => r.msg.startsWith("reload of live failed")),
      "the failed reload",
    );
    const failure = log.records.find((r) => r.msg.startsWith("reload of live failed"))!;
    assertMatch(failure.msg, /bot\.ts:2:\d+/);
    assertEquals(host.status()[0].state, "running");
    assertEquals(await answers(), ["PONG|v2", "PONG|waiter"]);
    assert(host.status()[0].lastError?.includes("bot.ts:2:"), "status lacks the load error");
  } finally {
    await host.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reload() of a bot that never loaded starts it once fixed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-reload-" });
  await Deno.writeTextFile(`${dir}/bot.ts`, "export default 42;\n");
  const rec = recordingSink();
  const log = memoryLogger();
  const host = createHost({
    manifest: { file: dir + "/bots.yaml", bots: [botSpec("late", dir)] },
    logger: log,
    sink: rec.sink,
    guardContext,
    launcher: await launcher(),
  });
  try {
    await host.start();
    // A load failure is retried with the restart backoff (a start no bot can hold up).
    assertEquals(host.status()[0].state, "backoff");
    assertMatch(host.status()[0].lastError ?? "", /no default export made with createBot/);
    await Deno.writeTextFile(`${dir}/bot.ts`, version("fixed"));
    const [r] = await host.reload("late");
    assertEquals(r, { name: "late", ok: true });
    host.deliver("PING");
    assertEquals(await rec.waitLine(/^PONG/), "PONG|fixed");
  } finally {
    await host.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
