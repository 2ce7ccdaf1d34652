/**
 * `start` end to end: the real CLI as a child process, in console mode from a pipe and against the
 * emulator's MMDAgent-EX side over a real loopback TCP socket, with the example bots.
 */
import { assert, assertEquals } from "../assert.ts";
import { Emulator } from "../../runtime/emulator/core.ts";
import { serveTcp } from "../../runtime/emulator/tcp_server.ts";

const MAIN = new URL("../../runtime/cli/main.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

function startCli(args: string[], stdin: "piped" | "null" = "piped") {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", MAIN, ...args],
    cwd: ROOT,
    stdin,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", MMDBOT_RUNTIME_DIR: Deno.makeTempDirSync() },
  }).spawn();
}

Deno.test("piping 'hello' into start (console mode) prints the greeter's answer and exits 0", async () => {
  const child = startCli(["start", "--no-watch"]);
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode("hello\n"));
  await w.close();
  const guard = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const out = await child.output();
  clearTimeout(guard);
  const stdout = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assert(stdout.includes("mei says: Hello! Nice to meet you."), `no spoken answer in:\n${stdout}`);
  assert(stdout.includes("user: hello"), stdout);
});

Deno.test("start against the emulator's TCP server: one connection, the greeter answers the user's speech", async () => {
  const emu = new Emulator({ currentTime: false });
  const side = serveTcp(emu, { port: 0 });
  const out: string[] = [];
  const off = emu.onOutput((line) => out.push(line));
  const dir = Deno.makeTempDirSync();
  const mdf = `${dir}/content.mdf`;
  Deno.writeTextFileSync(
    mdf,
    `Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=${side.port}\n`,
  );
  const record = `${dir}/session.jsonl`;
  const child = startCli(["start", mdf, "--no-watch", "--record", record], "null");
  const guard = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const until = async (pred: () => boolean, what: string) => {
      for (let i = 0; i < 300 && !pred(); i++) await new Promise((r) => setTimeout(r, 50));
      assert(pred(), `timed out waiting for ${what}; emulator saw:\n${out.join("\n")}`);
    };
    await until(() => emu.peers === 1, "the runtime to connect");
    // Give the bots a moment to start, then the user speaks on MMDAgent-EX's side.
    await until(() => out.some((l) => l.startsWith("REMOTE_EVENT_CONNECTED|")), "connect event");
    await new Promise((r) => setTimeout(r, 300));
    emu.inject("RECOG_EVENT_START");
    emu.inject("RECOG_EVENT_STOP", "hello");
    await until(() => out.some((l) => l.startsWith("SYNTH_START|")), "the greeter's SYNTH_START");
    assertEquals(emu.peers, 1);
    assertEquals(emu.faults.length, 0, JSON.stringify(emu.faults));
  } finally {
    child.kill("SIGTERM");
    const status = await child.output();
    clearTimeout(guard);
    off();
    await side.close();
    emu.close();
    assertEquals(status.code, 0, new TextDecoder().decode(status.stderr));
  }
  // The recording marks MMDAgent-EX's echo of the greeter's line as the greeter's.
  const records = Deno.readTextFileSync(record).trim().split("\n").map((l) => JSON.parse(l));
  const spoken = records.find((r) => r.dir === "out" && r.line.startsWith("SYNTH_START|"));
  const echo = records.find((r) => r.dir === "in" && r.line === spoken?.line);
  assertEquals(spoken?.bot, "greeter");
  assertEquals({ bot: echo?.bot, echo: echo?.echo }, { bot: "greeter", echo: true });
});

Deno.test("start --stdio as a Plugin_AnyScript child: the greeter answers on stdout, which carries only message lines, and stdin EOF ends it", async () => {
  const dir = Deno.makeTempDirSync();
  const mdf = `${dir}/content.mdf`;
  Deno.writeTextFileSync(mdf, "# no Plugin_Remote keys: AnyScript talks over stdio\n");
  const child = startCli(["start", "--stdio", mdf, "--no-watch"]);
  const guard = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const w = child.stdin.getWriter();
  const enc = new TextEncoder();
  // As Plugin_AnyScript does: every message as TYPE|ARGS\n, the child's own lines echoed back.
  await new Promise((r) => setTimeout(r, 1500));
  await w.write(enc.encode("RECOG_EVENT_START\nRECOG_EVENT_STOP|hello\n"));
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("SYNTH_START|")) {
    const r = await reader.read();
    if (r.done) break;
    out += r.value;
  }
  const closedAt = performance.now();
  await w.close();
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    out += r.value;
  }
  const status = await child.status;
  const exitMs = performance.now() - closedAt;
  clearTimeout(guard);
  await child.stderr.cancel();
  assert(out.includes("SYNTH_START|mei|mei_voice_normal|"), out);
  for (const line of out.split("\n").filter((l) => l !== "")) {
    assert(/^[A-Z_]+(\|.*)?$/.test(line), `stdout carried a non-message line: ${line}`);
  }
  assertEquals(status.code, 0);
  // A generous bound, only to catch a runtime that keeps running after EOF.
  assert(exitMs < 10_000, `exited ${exitMs} ms after EOF`);
});
