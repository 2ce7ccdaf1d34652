/**
 * Issue 7, "Done when": a bot reload and a bot crash-and-restart during traffic cause no reconnect.
 * A real session (startSession, TCP-client plan) against a raw loopback peer standing in for
 * MMDAgent-EX's TCP server, which counts the connections it accepts and the ones that close. While
 * the peer streams `TEST|ping|<n>` lines, the bot is reloaded through the session, hot-reloaded by
 * an edit of its file, killed by the watchdog (a spinning handler) and crashed (its process exits on its own); after each it answers again, and the peer sees one connection, never closed, until
 * the session stops (then exactly one clean close).
 */
import { assert, assertEquals } from "../assert.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { type Session, startSession } from "../../runtime/session/session.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;

function workerBot(version: string): string {
  return `import { createBot } from "${MOD}";
const bot = createBot();
bot.hear(/^TEST\\|ping\\|(\\d+)$/, (ctx) =>
  ctx.sendRaw("MESSAGE|pong|${version}|" + ctx.match![1]).then(() => {}));
bot.hear(/^TEST\\|spin$/, () => {
  while (true) {
    // until the watchdog kills the process
  }
});
bot.hear(/^TEST\\|crash-later$/, () => {
  // Outside any handler, so the watchdog is not what ends it: the process dies on its own, as
  // a native crash would. (Dying of the heap limit is tested in tests/host; here its GC stall
  // raced the 300 ms watchdog on a loaded machine.)
  setTimeout(() => Deno.exit(70), 0);
});
export default bot;
`;
}

/** A peer that accepts connections, counts them, streams lines to the newest and reads its lines. */
function rawPeer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const state = { accepts: 0, closes: 0, lines: [] as string[] };
  const conns: Deno.TcpConn[] = [];
  const readers: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      state.accepts++;
      conns.push(conn);
      readers.push((async () => {
        const decoder = new TextDecoder();
        let partial = "";
        const buf = new Uint8Array(4096);
        for (;;) {
          let n: number | null;
          try {
            n = await conn.read(buf);
          } catch {
            n = null;
          }
          if (n === null) break;
          partial += decoder.decode(buf.subarray(0, n), { stream: true });
          const parts = partial.split("\n");
          partial = parts.pop()!;
          state.lines.push(...parts);
        }
        state.closes++;
      })());
    }
  })();
  const encoder = new TextEncoder();
  let writing = Promise.resolve();
  return {
    port,
    state,
    /** Queues one line on the current connection (in order, one write each). */
    write(line: string) {
      const conn = conns.at(-1);
      if (!conn) return;
      const bytes = encoder.encode(line + "\n");
      writing = writing.then(async () => {
        let off = 0;
        while (off < bytes.length) off += await conn.write(bytes.subarray(off));
      }).catch(() => {});
    },
    async close() {
      listener.close();
      await accepting.catch(() => {});
      await writing;
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed by the session */ }
      }
      await Promise.all(readers);
    },
  };
}

async function until(cond: () => boolean, what: string, detail = () => "", ms = 20_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("a bot reload, a hot reload, a watchdog kill and a crash during traffic keep the one MMDAgent-EX connection", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-no-reconnect-" });
  const peer = rawPeer();
  const log = memoryLogger("debug");
  let session: Session | undefined;
  let stream: ReturnType<typeof setInterval> | undefined;
  try {
    await Deno.mkdir(`${dir}/bots/worker`, { recursive: true });
    await Deno.writeTextFile(`${dir}/bots/worker/bot.ts`, workerBot("v1"));
    await Deno.writeTextFile(
      `${dir}/bots/bots.yaml`,
      "bots:\n  worker:\n" +
        "    budgets: { handler_ms: 300, messages_per_second: 500, burst: 500 }\n" +
        "    restart: { initial_backoff_ms: 50, max_backoff_ms: 200, max_failures: 10 }\n",
    );
    const mdf = `${dir}/content.mdf`;
    await Deno.writeTextFile(
      mdf,
      `Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=${peer.port}\n`,
    );
    session = await startSession({
      mdf,
      manifest: `${dir}/bots/bots.yaml`,
      logger: log,
      watch: true,
      controlDir: `${dir}/run`,
    });
    const s = session;
    const worker = () => s.host.status().find((b) => b.name === "worker")!;
    const logs = () => log.records.map((r) => `${r.level} ${r.scope}: ${r.msg}`).join("\n");
    await until(() => peer.state.accepts === 1, "the session to connect");
    await until(() => worker().state === "running", "the bot to run", logs);

    // The traffic: a ping every 20 ms for the whole test.
    let n = 0;
    stream = setInterval(() => peer.write(`TEST|ping|${++n}`), 20);
    const pongs = () =>
      peer.state.lines.filter((l) => l.startsWith("MESSAGE|pong|")).map((l) => {
        const [, , version, i] = l.split("|");
        return { version, i: Number(i) };
      });
    /** The bot answers a ping sent after this call, in `version`. */
    const answersAgain = async (version: string, what: string) => {
      const from = n;
      await until(
        () => pongs().some((p) => p.version === version && p.i > from),
        `the bot (${version}) to answer again after ${what}`,
        () => `${logs()}\nlast lines: ${peer.state.lines.slice(-5).join(" ")}`,
      );
    };
    const oneConnection = (when: string) => {
      assertEquals(
        { accepts: peer.state.accepts, closes: peer.state.closes },
        { accepts: 1, closes: 0 },
        when,
      );
      assertEquals(s.status().link.reconnects, 0, when);
      assertEquals(s.status().link.state, "connected", when);
    };
    await answersAgain("v1", "start");

    // 1. reload through the session (what `mmdbot reload worker` does).
    const pid1 = worker().pid;
    assertEquals(await s.reload("worker"), ["worker"]);
    assert(worker().pid !== pid1, "reload did not start a new process");
    await answersAgain("v1", "reload");
    oneConnection("after reload");

    // 2. hot reload: an edit of the bot's file.
    await Deno.writeTextFile(`${dir}/bots/worker/bot.ts`, workerBot("v2"));
    await answersAgain("v2", "the edit");
    oneConnection("after the hot reload");

    // 3. a spinning handler: the watchdog kills the process and the host restarts it.
    const restarts = worker().restarts;
    peer.write("TEST|spin");
    await until(() => worker().restarts === restarts + 1, "the watchdog restart", logs);
    assert(/handler_ms/.test(worker().lastError ?? ""), `not the watchdog: ${worker().lastError}`);
    await answersAgain("v2", "the watchdog restart");
    oneConnection("after the watchdog restart");

    // 4. a crash: the bot process dies on its own (an uncaught error would not end it:
    // the bot runtime logs it and carries on).
    peer.write("TEST|crash-later");
    await until(() => worker().restarts === restarts + 2, "the crash restart", logs);
    assert(/exit code 70/.test(worker().lastError ?? ""), `not a crash: ${worker().lastError}`);
    await answersAgain("v2", "the crash restart");
    oneConnection("after the crash restart");

    clearInterval(stream);
    stream = undefined;
    await s.stop();
    // Shutdown closes the connection once.
    await until(() => peer.state.closes === 1, "the session's close");
    assertEquals(peer.state.accepts, 1);
  } finally {
    if (stream !== undefined) clearInterval(stream);
    await session?.stop();
    await peer.close();
    await Deno.remove(dir, { recursive: true });
  }
});
