/**
 * The outbound queue's capacity is the user's to set (`start --queue-lines`, #13): a real session
 * whose MMDAgent-EX is away (nothing listens on its port) holds at most that many of a bot's lines
 * and counts the rest as dropped for that bot; a value out of range is refused before anything
 * starts, naming the option.
 */
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { type Session, SessionError, startSession } from "../../runtime/session/session.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;

const BURST_BOT = `import { createBot } from "${MOD}";
const bot = createBot();
bot.onStart((ctx) => {
  for (let i = 0; i < 30; i++) ctx.sendRaw("MESSAGE|queued_" + i);
});
export default bot;
`;

/** A content whose MMDAgent-EX is away: a TCP port nothing listens on. */
async function awayContent(dir: string): Promise<{ mdf: string; manifest: string }> {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  await Deno.mkdir(`${dir}/bots/burst`, { recursive: true });
  await Deno.writeTextFile(`${dir}/bots/burst/bot.ts`, BURST_BOT);
  await Deno.writeTextFile(
    `${dir}/bots/bots.yaml`,
    "bots:\n  burst:\n    budgets: { messages_per_second: 1000, burst: 1000 }\n",
  );
  const mdf = `${dir}/content.mdf`;
  await Deno.writeTextFile(
    mdf,
    `Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=${port}\n`,
  );
  return { mdf, manifest: `${dir}/bots/bots.yaml` };
}

Deno.test("with --queue-lines 10 and MMDAgent-EX away, the queue holds 10 of a bot's 30 lines and counts 20 dropped for that bot", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-queue-lines-" });
  const log = memoryLogger("debug");
  let session: Session | undefined;
  try {
    const { mdf, manifest } = await awayContent(dir);
    session = await startSession({
      mdf,
      manifest,
      logger: log,
      watch: false,
      controlDir: `${dir}/run`,
      queueLines: 10,
    });
    const s = session;
    // The session's link is a socket link: its stats carry the per-sender losses too.
    const stats = () =>
      s.link.stats() as ReturnType<Session["link"]["stats"]> & {
        queueDroppedBy?: Record<string, number>;
      };
    const end = Date.now() + 30_000;
    while ((stats().queueDroppedBy?.burst ?? 0) < 20) {
      if (Date.now() > end) {
        throw new Error(`the queue never dropped 20 lines: ${JSON.stringify(stats())}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await s.host.ping();
    const st = stats();
    assertEquals([st.queueDepth, st.queueDropped, st.queueDroppedBy?.burst], [10, 20, 20]);
  } finally {
    await session?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a --queue-lines value that is not a whole number from 1 to 1000000 is refused before anything starts, naming the option", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-queue-lines-" });
  try {
    const { mdf, manifest } = await awayContent(dir);
    for (const queueLines of [0, 2.5, 2_000_000, NaN]) {
      const e = await assertRejects(
        () =>
          startSession({
            mdf,
            manifest,
            logger: memoryLogger(),
            watch: false,
            controlDir: `${dir}/run`,
            queueLines,
          }),
        SessionError,
      );
      assert(
        e.message.includes("--queue-lines must be a whole number from 1 to 1000000"),
        e.message,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
