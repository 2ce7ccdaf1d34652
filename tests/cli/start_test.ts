/**
 * `start` end to end: the real CLI as a child process, in console mode from a pipe and against the
 * emulator's MMDAgent-EX side over a real loopback TCP socket, with the example bots.
 */
import { assert, assertEquals } from "../wire/assert.ts";
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
  assert(/says: .*hello|says: .*Hello|says:/i.test(stdout), `no spoken answer in:\n${stdout}`);
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
  const child = startCli(["start", mdf, "--no-watch"], "null");
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
});
