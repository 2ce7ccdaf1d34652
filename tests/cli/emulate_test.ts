import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { anyScriptCommand } from "../../runtime/paths/invocation.ts";
import { spawnMmdbot } from "./child.ts";
import { RUNTIME_PERMISSIONS } from "../../runtime/paths/invocation.ts";

const PERMS = ["--no-prompt", ...RUNTIME_PERMISSIONS];
const dec = new TextDecoder();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Spawns the real CLI; `collect()` waits for its exit (killing it after `guardMs`). */
function cli(args: string[], guardMs = 60000) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMS, "runtime/cli/main.ts", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const guard = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
  }, guardMs);
  const out = child.output().finally(() => clearTimeout(guard));
  return {
    child,
    async collect(): Promise<Run> {
      const o = await out;
      return { code: o.code, stdout: dec.decode(o.stdout), stderr: dec.decode(o.stderr) };
    },
    async stop(): Promise<Run> {
      try {
        child.kill("SIGTERM");
      } catch { /* exited */ }
      return await this.collect();
    },
  };
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Emulator and runtime on one .mdf, the emulator playing greet.yaml; both results. */
async function converse(mdfText: string) {
  const dir = await Deno.makeTempDir({ prefix: "emulate-test-" });
  const mdf = join(dir, "content.mdf");
  await Deno.writeTextFile(mdf, mdfText);
  const emulator = cli(["emulate", mdf, "--scenario", "examples/scenarios/greet.yaml"]);
  const runtime = cli(["--log-level", "warn", "start", mdf, "--bots", "bots/bots.yaml"]);
  const emu = await emulator.collect();
  const rt = await runtime.stop();
  await Deno.remove(dir, { recursive: true });
  return { emu, rt };
}

function assertConversation(emu: Run) {
  equal(emu.code, 0, emu.stdout + emu.stderr);
  ok(emu.stdout.includes("user: hello"), emu.stdout);
  ok(emu.stdout.includes("avatar says: Hello! Nice to meet you."), emu.stdout);
  ok(emu.stdout.includes('scenario "greet" passed'), emu.stdout);
}

Deno.test("emulate --scenario, TCP server mode: the runtime connects, the greeter answers hello", async () => {
  const port = freePort();
  const { emu } = await converse(
    `Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=${port}\n`,
  );
  assertConversation(emu);
});

Deno.test("emulate --scenario, TCP client mode: the emulator retries until the runtime listens, and no REMOTE_EVENT_CONNECTED", async () => {
  const port = freePort();
  const { emu } = await converse(
    "Plugin_Remote_EnableClient=true\nPlugin_Remote_Hostname=localhost\n" +
      `Plugin_Remote_Port=${port}\nPlugin_Remote_RetryCount=40\n`,
  );
  assertConversation(emu);
  ok(!emu.stdout.includes("REMOTE_EVENT_CONNECTED"), emu.stdout);
});

Deno.test("emulate --scenario, WebSocket client mode: the emulator connects to the runtime's WebSocket server", async () => {
  const port = freePort();
  const { emu } = await converse(
    "Plugin_Remote_Websocket_Host=localhost\n" +
      `Plugin_Remote_Websocket_Port=${port}\nPlugin_Remote_Websocket_Directory=/chat\n` +
      "Plugin_Remote_RetryCount=40\n",
  );
  assertConversation(emu);
});

Deno.test("emulate in TCP client mode with RetryCount 0 and nobody listening gives up and exits 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "emulate-test-" });
  const mdf = join(dir, "c.mdf");
  await Deno.writeTextFile(
    mdf,
    `Plugin_Remote_EnableClient=true\nPlugin_Remote_Port=${freePort()}\n`,
  );
  const r = await cli(["emulate", mdf]).collect();
  await Deno.remove(dir, { recursive: true });
  equal(r.code, 1, r.stderr);
  ok(r.stderr.includes("never tries again"), r.stderr);
});

Deno.test("emulate --scenario with a broken scenario exits 1 naming file:line before opening any socket", async () => {
  const dir = await Deno.makeTempDir({ prefix: "emulate-test-" });
  const s = join(dir, "bad.yaml");
  await Deno.writeTextFile(s, "steps:\n  - at: 1s\n    sya: hello\n");
  const r = await cli(["emulate", "--scenario", s]).collect();
  await Deno.remove(dir, { recursive: true });
  equal(r.code, 1);
  ok(r.stderr.includes(`${s}:3:5: step 1: Unrecognized key: "sya"`), r.stderr);
});

Deno.test("emulate on an .mdf without any Plugin_Remote mode exits 1 and says why", async () => {
  const dir = await Deno.makeTempDir({ prefix: "emulate-test-" });
  const mdf = join(dir, "none.mdf");
  await Deno.writeTextFile(mdf, "Plugin_Remote_EnableServer=false\n");
  const r = await cli(["emulate", mdf]).collect();
  await Deno.remove(dir, { recursive: true });
  equal(r.code, 1);
  ok(r.stderr.includes("enables no Plugin_Remote mode"), r.stderr);
});

Deno.test("emulate --strict <mdf>: the path after --strict is the .mdf, not the option's value", async () => {
  const dir = await Deno.makeTempDir({ prefix: "emulate-test-" });
  const mdf = join(dir, "none.mdf");
  await Deno.writeTextFile(mdf, "Plugin_Remote_EnableServer=false\n");
  const r = await cli(["emulate", "--strict", mdf]).collect();
  await Deno.remove(dir, { recursive: true });
  equal(r.code, 1);
  ok(r.stderr.includes("enables no Plugin_Remote mode"), r.stderr);
});

Deno.test("demo: emulator and runtime over loopback play greet.yaml, print the conversation and exit 0", async () => {
  const r = await cli(["--log-level", "warn", "demo"]).collect();
  assertConversation(r);
});

Deno.test("emulate takes typed lines as the user's speech like the console: 'hello' on stdin reaches the bots, the greeter's answer shows on stdout, Ctrl-C ends it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "emulate-typed-" });
  const mdf = `${dir}/typed.mdf`;
  // MMDAgent-EX's AnyScript child: the runtime with the project's bots, no port needed.
  await Deno.writeTextFile(mdf, `Plugin_AnyScript_Command=${anyScriptCommand()}\n`);
  const run = spawnMmdbot(["emulate", mdf], { cwd: dir });
  try {
    await run.type("hello\n/KEY|a\n");
    await run.stdout.until((t) => t.includes("avatar says: Hello! Nice to meet you."), 60_000);
    const out = run.stdout.text;
    assert(out.includes("avatar says: Hello! Nice to meet you."), `no answer in:\n${out}`);
    assert(out.includes("user: hello"), out);
    assert(out.includes("user presses key: a"), out);
  } finally {
    const status = await run.stop("SIGINT");
    await Deno.remove(dir, { recursive: true });
    assertEquals(status.code, 0, run.stderr.text);
  }
});
