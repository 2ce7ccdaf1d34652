/**
 * The manifest is live: saving bots.yaml while a session runs starts added bots, stops removed
 * ones and restarts only a changed entry; an invalid save is reported with file:line and the
 * running set is kept; `reload` re-reads it too. Console mode (the emulator), real bot processes.
 */
import { assert, assertEquals, assertIncludes } from "../assert.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { type Session, startSession } from "../../runtime/session/session.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;
const bot = (word: string) =>
  `import { createBot } from "${MOD}";
const bot = createBot();
bot.on("RECOG_EVENT_STOP", (ctx) => ctx.sendRaw("MESSAGE|${word}"));
export default bot;
`;

async function until(cond: () => boolean, what: string, show: () => string = () => "") {
  for (let i = 0; i < 600 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  assert(cond(), `timed out waiting for ${what} ${show()}`);
}

Deno.test("saving bots.yaml adds, restarts and removes bots without touching the others or the connection; an invalid save keeps the running set", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-live-" });
  for (const name of ["a", "b"]) {
    await Deno.mkdir(`${dir}/${name}`);
    await Deno.writeTextFile(`${dir}/${name}/bot.ts`, bot(name));
  }
  const file = `${dir}/bots.yaml`;
  await Deno.writeTextFile(file, "bots:\n  a: {}\n");
  const log = memoryLogger("debug");
  const messages = () => log.records.map((r) => r.msg).join("\n");
  let session: Session | undefined;
  try {
    session = await startSession({ manifest: file, logger: log, watch: true, control: false });
    const s = session;
    const state = (name: string) => s.host.status().find((b) => b.name === name);
    const show = () => JSON.stringify(s.host.status()) + "\n" + messages();
    await until(() => state("a")?.state === "running", "a to run", show);
    const aPid = state("a")!.pid;
    const reconnects = s.link.stats().reconnects;

    // Added: b starts; a keeps its process.
    await Deno.writeTextFile(file, "bots:\n  a: {}\n  b: {}\n");
    await until(() => state("b")?.state === "running", "b to start", show);
    assertEquals(state("a")!.pid, aPid, "a untouched");

    // Changed: only a restarts.
    const bPid = state("b")!.pid;
    await Deno.writeTextFile(file, "bots:\n  a:\n    receive: [RECOG_EVENT_STOP]\n  b: {}\n");
    await until(
      () => state("a")?.state === "running" && state("a")!.pid !== aPid,
      "a to restart",
      show,
    );
    assertEquals(state("b")!.pid, bPid, "b untouched");

    // Invalid: reported with file:line:col, nothing changes.
    await Deno.writeTextFile(file, "bots:\n  a:\n    recieve: [X]\n  b: {}\n");
    await until(() => messages().includes('unknown key "recieve"'), "the error", show);
    assertIncludes(messages(), "bots.yaml:3:5");
    assertIncludes(messages(), "the running bots are kept");
    assertEquals(s.host.status().map((b) => b.name), ["a", "b"]);
    // reload re-reads it too, and says why it did nothing.
    let refused = "";
    await s.reload().catch((e) => refused = String(e));
    assertIncludes(refused, 'unknown key "recieve"');

    // Removed: b stops.
    await Deno.writeTextFile(file, "bots:\n  a:\n    receive: [RECOG_EVENT_STOP]\n");
    await until(() => state("b") === undefined, "b to stop", show);
    assertEquals(s.link.stats().reconnects, reconnects, "the connection was never touched");
  } finally {
    await session?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
