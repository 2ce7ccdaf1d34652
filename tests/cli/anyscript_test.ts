/**
 * Plugin_AnyScript as users meet it: the exact line `mmdbot new` prints, pasted into an `.mdf` in
 * another folder, run the way MMDAgent-EX runs it (that folder as working directory, no shell),
 * by `emulate` and by hand; `start --stdio` without an `.mdf`; `check` on such an `.mdf`.
 */
import { assert, assertEquals, assertIncludes } from "../assert.ts";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MAIN = join(ROOT, "runtime/cli/main.ts");
const dec = new TextDecoder();
const enc = new TextEncoder();

async function cli(args: string[], cwd: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", MAIN, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", MMDBOT_RUNTIME_DIR: Deno.makeTempDirSync() },
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A temp bots folder holding only a bot made by `new`, and the AnyScript line `new` printed. */
async function newBot(): Promise<{ root: string; line: string; printed: string }> {
  const root = await Deno.makeTempDir({ prefix: "anyscript-cli-" });
  await Deno.mkdir(join(root, "bots"));
  const r = await cli(["new", "pinger", "--dir", join(root, "bots")], root);
  assertEquals(r.code, 0, r.stdout + r.stderr);
  const line = r.stdout.split("\n").find((l) => l.startsWith("Plugin_AnyScript_Command="));
  assert(line, `no Plugin_AnyScript_Command= line in:\n${r.stdout}`);
  return { root, line, printed: r.stdout };
}

/** Collects a child's stdout in the background; `until` waits (bounded) for a condition. */
function collect(stdout: ReadableStream<Uint8Array>) {
  let text = "";
  let ended = false;
  const done = (async () => {
    for await (const chunk of stdout.pipeThrough(new TextDecoderStream())) text += chunk;
    ended = true;
  })();
  return {
    get text() {
      return text;
    },
    async until(pred: (t: string) => boolean, ms: number): Promise<boolean> {
      const end = Date.now() + ms;
      while (!pred(text) && !ended && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
      return pred(text);
    },
    ended: done,
  };
}

function assertOnlyMessages(stdout: string) {
  for (const l of stdout.split("\n").filter((x) => x !== "")) {
    assert(/^[A-Z_]+(\|.*)?$/.test(l), `stdout carried a non-message line: ${l}`);
  }
}

Deno.test("the AnyScript line new prints has no npx cache path and no bare relative path", async () => {
  const { root, line, printed } = await newBot();
  try {
    assert(!line.includes("/_npx/"), line);
    const words = line.slice("Plugin_AnyScript_Command=".length).split(" ");
    assert(words[0].startsWith("/") || words[0] === "npx", `Deno not found this way: ${words[0]}`);
    for (const w of words.filter((w) => w.includes("/"))) assert(w.startsWith("/"), w);
    assertIncludes(line, `--bots ${join(root, "bots", "bots.yaml")}`);
    // Every printed command names the project's config, so it works from any folder.
    assertIncludes(printed, `--config ${join(ROOT, "deno.json")}`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("emulate starts the pasted AnyScript line in the .mdf's folder and the new bot answers", async () => {
  const { root, line } = await newBot();
  try {
    const content = join(root, "content");
    await Deno.mkdir(content);
    const mdf = join(content, "main.mdf");
    await Deno.writeTextFile(mdf, `${line}\n`);
    const scenario = join(root, "ping.yaml");
    await Deno.writeTextFile(
      scenario,
      "name: ping\nsteps:\n  - at: 1s\n    say: ping\n" +
        "  - expect: /^SYNTH_START\\|mei\\|mei_voice_normal\\|pong number 1$/\n    within: 20s\n" +
        "  - end: true\n",
    );
    // From a third folder: nothing may depend on the caller's working directory.
    const r = await cli(["emulate", "--scenario", scenario, mdf], Deno.makeTempDirSync());
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assertIncludes(r.stdout, 'scenario "ping" passed');
    assertIncludes(r.stderr, `started the AnyScript child`);
    assertIncludes(r.stderr, `in ${content}`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the pasted line run by hand in the content folder answers on stdout with only message lines", async () => {
  const { root, line } = await newBot();
  const content = join(root, "content");
  await Deno.mkdir(content);
  const words = line.slice("Plugin_AnyScript_Command=".length).split(" ");
  const child = new Deno.Command(words[0], {
    args: words.slice(1),
    cwd: content,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", MMDBOT_RUNTIME_DIR: Deno.makeTempDirSync() },
  }).spawn();
  const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    const w = child.stdin.getWriter();
    const out = collect(child.stdout);
    // MMDAgent-EX writes messages whenever they happen; repeat until the bots are up.
    for (let i = 0; i < 40 && !out.text.includes("SYNTH_START|"); i++) {
      await w.write(enc.encode("RECOG_EVENT_START\nRECOG_EVENT_STOP|ping\n"));
      await out.until((t) => t.includes("SYNTH_START|"), 1000);
    }
    assertIncludes(out.text, "SYNTH_START|mei|mei_voice_normal|pong number");
    await w.close();
    await out.ended;
    assertOnlyMessages(out.text);
    assertEquals((await child.status).code, 0);
  } finally {
    clearTimeout(guard);
    await child.stderr.cancel();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("start --stdio without an .mdf is stdio, never console mode", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", MAIN, "start", "--stdio", "--no-watch"],
    cwd: Deno.makeTempDirSync(),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", MMDBOT_RUNTIME_DIR: Deno.makeTempDirSync() },
  }).spawn();
  const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    const w = child.stdin.getWriter();
    const out = collect(child.stdout);
    for (let i = 0; i < 40 && !out.text.includes("SYNTH_START|"); i++) {
      await w.write(enc.encode("RECOG_EVENT_START\nRECOG_EVENT_STOP|hello\n"));
      await out.until((t) => t.includes("SYNTH_START|"), 1000);
    }
    assertIncludes(out.text, "SYNTH_START|mei|mei_voice_normal|");
    await w.close();
    await out.ended;
    assert(!out.text.includes("user:") && !out.text.includes("says:"), out.text);
    assertOnlyMessages(out.text);
    assertEquals((await child.status).code, 0);
  } finally {
    clearTimeout(guard);
    await child.stderr.cancel();
  }
});

Deno.test("start --stdio on examples/anyscript.mdf does not warn about a Plugin_Remote transport it lacks", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", MAIN, "start", "--stdio", "--no-watch", "anyscript.mdf"],
    cwd: join(ROOT, "examples"),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", MMDBOT_RUNTIME_DIR: Deno.makeTempDirSync() },
  }).spawn();
  // Generous: only a hang fails (a loaded CI machine starts four sandboxed bots slowly).
  const guard = setTimeout(() => child.kill("SIGKILL"), 90_000);
  const out = await child.output();
  clearTimeout(guard);
  const stderr = dec.decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  assert(!stderr.includes("also has a Plugin_Remote transport"), stderr);
  assert(!stderr.includes("cannot read the bot manifest"), stderr);
});

Deno.test("check on an .mdf whose AnyScript line names --bots validates that manifest", async () => {
  const { root, line } = await newBot();
  try {
    const content = join(root, "content");
    await Deno.mkdir(content);
    const mdf = join(content, "main.mdf");
    await Deno.writeTextFile(mdf, `${line}\n`);
    const r = await cli(["check", mdf], Deno.makeTempDirSync());
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assertIncludes(r.stdout, `Bots (${join(root, "bots", "bots.yaml")})`);
    assertIncludes(r.stdout, "pinger:");
    assert(!r.stdout.includes("also has a Plugin_Remote"), r.stdout);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a missing --bots manifest names the absolute path tried", async () => {
  const cwd = Deno.makeTempDirSync();
  const r = await cli(["start", "--stdio", "--bots", "nope.yaml"], cwd);
  assertEquals(r.code, 1);
  assertIncludes(r.stderr, `file not found: ${join(cwd, "nope.yaml")}`);
});

/** Pipes `input` into `start --stdio [mdf]` as a shell pipeline does, then waits for the exit. */
async function pipeInto(args: string[], cwd: string, input: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", MAIN, "start", "--stdio", "--no-watch", ...args],
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", MMDBOT_RUNTIME_DIR: Deno.makeTempDirSync() },
  }).spawn();
  const guard = setTimeout(() => child.kill("SIGKILL"), 90_000);
  const w = child.stdin.getWriter();
  await w.write(enc.encode(input));
  await w.close();
  const out = await child.output();
  clearTimeout(guard);
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("echo 'RECOG_EVENT_STOP|hello' | start --stdio <mdf>: the answer is written before the exit", async () => {
  const r = await pipeInto(["anyscript.mdf"], join(ROOT, "examples"), "RECOG_EVENT_STOP|hello\n");
  assertEquals(r.code, 0, r.stderr);
  assertIncludes(r.stdout, "SYNTH_START|mei|mei_voice_normal|Hello! Nice to meet you.");
  assertOnlyMessages(r.stdout);
  assert(!r.stderr.includes("Plugin_Remote service may be gone"), r.stderr);
});

Deno.test("echo 'RECOG_EVENT_STOP|hello' | start --stdio without an .mdf does the same", async () => {
  const r = await pipeInto(
    [],
    Deno.makeTempDirSync(),
    "RECOG_EVENT_START\nRECOG_EVENT_STOP|hello\n",
  );
  assertEquals(r.code, 0, r.stderr);
  assertIncludes(r.stdout, "SYNTH_START|mei|mei_voice_normal|Hello! Nice to meet you.");
  assertOnlyMessages(r.stdout);
});
