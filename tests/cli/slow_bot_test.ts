/**
 * A start no bot can hold up: with a bot spinning at module level and one throwing while it
 * loads, the real CLI in console mode answers through the healthy bot while the spinner is still
 * loading, then reports both by name with why, and retries them with backoff.
 */
import { assert, assertIncludes } from "../assert.ts";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MOD = new URL("../../mod.ts", import.meta.url).href;

async function project(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-slow-bot-" });
  const bot = async (name: string, source: string) => {
    await Deno.mkdir(join(dir, name));
    await Deno.writeTextFile(join(dir, name, "bot.ts"), source);
  };
  await bot("spin", `while (true) { /* never loads */ }\nexport default 1;\n`);
  await bot("boom", `throw new Error("broken on purpose");\n`);
  await bot(
    "hi",
    `import { createBot } from "${MOD}";
const bot = createBot();
bot.on("RECOG_EVENT_STOP", (ctx) => ctx.sendRaw("SYNTH_START|mei|mei_voice_normal|hi there"));
export default bot;
`,
  );
  await Deno.writeTextFile(
    join(dir, "bots.yaml"),
    "bots:\n  spin:\n    budgets: { load_ms: 8000 }\n  boom: {}\n  hi:\n    receive: [RECOG_EVENT_STOP]\n",
  );
  return dir;
}

Deno.test("a bot spinning at module level holds up neither the connection nor the greeter; it is reported and retried", async () => {
  const dir = await project();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "-A",
      join(ROOT, "runtime/cli/main.ts"),
      "start",
      "--no-watch",
      "--bots",
      join(dir, "bots.yaml"),
    ],
    cwd: dir,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", MMDBOT_RUNTIME_DIR: await Deno.makeTempDir() },
  }).spawn();
  const guard = setTimeout(() => child.kill("SIGKILL"), 90_000);
  let stdout = "";
  let stderr = "";
  const reads = Promise.all([
    (async () => {
      for await (const c of child.stdout.pipeThrough(new TextDecoderStream())) stdout += c;
    })(),
    (async () => {
      for await (const c of child.stderr.pipeThrough(new TextDecoderStream())) stderr += c;
    })(),
  ]);
  const until = async (pred: () => boolean, what: string) => {
    for (let i = 0; i < 1200 && !pred(); i++) await new Promise((r) => setTimeout(r, 50));
    assert(pred(), `timed out waiting for ${what}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  };
  const w = child.stdin.getWriter();
  try {
    await w.write(new TextEncoder().encode("hello\n"));
    await until(() => stdout.includes("mei says: hi there [hi]"), "the healthy bot's answer");
    assert(
      !stderr.includes("bot spin failed to load"),
      "the answer came while the spinner was still loading:\n" + stderr,
    );
    await until(() => stderr.includes("bot boom failed to load"), "the crashing bot's report");
    assertIncludes(stderr, "broken on purpose");
    await until(() => stderr.includes("bot spin failed to load"), "the spinner's report");
    assertIncludes(stderr, "did not load within 8000 ms (budgets.load_ms");
    assert(/bot spin failed to load: .*retrying in \d+ ms/.test(stderr), stderr);
    assert(/bot hi running, isolation \w+ \(/.test(stderr), "one start-up line per bot: " + stderr);
  } finally {
    await w.close().catch(() => {});
    child.kill("SIGTERM");
    await child.status;
    clearTimeout(guard);
    await reads;
    await Deno.remove(dir, { recursive: true });
  }
});
