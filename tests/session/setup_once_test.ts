/**
 * Setup lines over a real socket (issues 11 and 13): a real session (startSession, TCP-client plan)
 * against a raw loopback peer standing in for MMDAgent-EX's TCP server. Each setup line reaches the
 * peer exactly once per connection, first after the connection is made and in order; a line added
 * while connected goes out once, at once; after the peer drops the connection and the session
 * reconnects, the whole list is replayed once, first.
 */
import { assert, assertEquals } from "../assert.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { type Session, startSession } from "../../runtime/session/session.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;

const SETUP_BOT = `import { createBot } from "${MOD}";
const bot = createBot();
bot.onStart((ctx) => ctx.setup(["MESSAGE|setup_a"]));
bot.onConnected((ctx) => ctx.sendRaw("MESSAGE|hello").then(() => {}));
bot.hear(/^TEST\\|more$/, (ctx) => {
  ctx.setup(["MESSAGE|setup_a", "MESSAGE|setup_b"]);
  return ctx.sendRaw("MESSAGE|more done").then(() => {});
});
export default bot;
`;

/** A TCP server that keeps the lines of each accepted connection apart and can drop the newest. */
function rawPeer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const conns: { conn: Deno.TcpConn; lines: string[] }[] = [];
  const readers: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      const entry = { conn, lines: [] as string[] };
      conns.push(entry);
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
          entry.lines.push(...parts);
        }
      })());
    }
  })();
  return {
    port,
    conns,
    async write(line: string) {
      const conn = conns.at(-1)!.conn;
      const bytes = new TextEncoder().encode(line + "\n");
      let off = 0;
      while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    },
    /** The peer drops its newest connection (MMDAgent-EX restarted, say). */
    drop() {
      try {
        conns.at(-1)!.conn.close();
      } catch { /* already closed */ }
    },
    async close() {
      listener.close();
      await accepting.catch(() => {});
      for (const c of conns) {
        try {
          c.conn.close();
        } catch { /* closed already */ }
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

Deno.test("over a real socket each setup line reaches the peer once per connection, first and in order, also when added while connected and after a reconnect", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-setup-once-" });
  const peer = rawPeer();
  const log = memoryLogger("debug");
  let session: Session | undefined;
  try {
    await Deno.mkdir(`${dir}/bots/setter`, { recursive: true });
    await Deno.writeTextFile(`${dir}/bots/setter/bot.ts`, SETUP_BOT);
    await Deno.writeTextFile(`${dir}/bots/bots.yaml`, "bots:\n  setter: {}\n");
    const mdf = `${dir}/content.mdf`;
    await Deno.writeTextFile(
      mdf,
      `Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=${peer.port}\n`,
    );
    session = await startSession({
      mdf,
      manifest: `${dir}/bots/bots.yaml`,
      logger: log,
      watch: false,
      controlDir: `${dir}/run`,
    });
    const logs = () => log.records.map((r) => `${r.level} ${r.scope}: ${r.msg}`).join("\n");
    const lines = (i: number) => peer.conns[i]?.lines ?? [];
    const detail = () => `${JSON.stringify(peer.conns.map((c) => c.lines))}\n${logs()}`;

    // First connection: the setup line (set in onStart), then the bot's onConnected line.
    await until(() => lines(0).includes("MESSAGE|hello"), "the first greeting", detail);
    // Setup lines set in onStart may arrive after the connection was made; either way each once.
    await until(() => lines(0).includes("MESSAGE|setup_a"), "setup_a", detail);

    // A line added while connected goes out once, at once; the old one is not written again.
    await peer.write("TEST|more");
    await until(() => lines(0).includes("MESSAGE|more done"), "the added line", detail);
    await until(() => lines(0).includes("MESSAGE|setup_b"), "setup_b", detail);
    // Give a duplicate (the old bug: the host and the Link both wrote it) time to show.
    await session.host.ping();
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(lines(0).filter((l) => l === "MESSAGE|setup_a").length, 1, detail());
    assertEquals(lines(0).filter((l) => l === "MESSAGE|setup_b").length, 1, detail());

    // The peer drops the connection; the session reconnects and replays the list, first, once.
    peer.drop();
    await until(() => lines(1).includes("MESSAGE|hello"), "the greeting after reconnect", detail);
    await session.host.ping();
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(lines(1).slice(0, 2), ["MESSAGE|setup_a", "MESSAGE|setup_b"], detail());
    assertEquals(lines(1).filter((l) => l.startsWith("MESSAGE|setup_")).length, 2, detail());
    assert(lines(1).indexOf("MESSAGE|hello") > 1, "setup lines come before anything else");
  } finally {
    await session?.stop();
    await peer.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
