/**
 * The emulator's Plugin_AnyScript side with a real child process: started without a shell in the
 * given folder, fed every message (its own lines echoed), its stdout lines issued as messages.
 */
import { assert, assertEquals } from "../assert.ts";
import { Emulator } from "../../runtime/emulator/core.ts";
import { startAnyScript } from "../../runtime/emulator/anyscript_parent.ts";

const CHILD = `
const cwd = Deno.cwd();
const dec = new TextDecoder();
const enc = new TextEncoder();
let buf = "";
for await (const chunk of Deno.stdin.readable) {
  buf += dec.decode(chunk);
  let i;
  while ((i = buf.indexOf("\\n")) >= 0) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    if (line === "PING") await Deno.stdout.write(enc.encode("PONG|" + cwd + "\\r\\n"));
    else if (line.startsWith("PONG|")) await Deno.stdout.write(enc.encode("SEEN_ECHO\\n"));
  }
}
`;

Deno.test("an AnyScript child runs in the given folder, gets every message and its own echo, and its stdout lines are issued", async () => {
  const dir = await Deno.makeTempDir({ prefix: "anyscript-parent-" });
  const script = `${dir}/child.ts`;
  await Deno.writeTextFile(script, CHILD);
  const emu = new Emulator({ currentTime: false });
  const out: string[] = [];
  emu.onOutput((line) => out.push(line));
  const side = startAnyScript(emu, {
    words: [Deno.execPath(), "run", "--no-prompt", "--allow-read", script],
    cwd: dir,
  });
  try {
    assertEquals(emu.peers, 1);
    emu.inject("PING");
    for (let i = 0; i < 200 && !out.includes("SEEN_ECHO"); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    // The trailing CR is dropped, and the child saw its own PONG echoed back.
    assert(out.includes(`PONG|${dir}`), out.join("\n"));
    assert(out.includes("SEEN_ECHO"), out.join("\n"));
  } finally {
    const code = await side.close(5000);
    assertEquals(code, 0, "the child ends at stdin EOF");
    assertEquals(emu.peers, 0);
    emu.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a child that ignores EOF is terminated after the grace period", async () => {
  const emu = new Emulator({ currentTime: false });
  const side = startAnyScript(emu, {
    words: [Deno.execPath(), "eval", "setInterval(() => {}, 1000)"],
    cwd: Deno.cwd(),
  });
  const code = await side.close(200);
  assert(code !== 0, `exit code ${code}`);
  emu.close();
});

Deno.test("a program that does not exist is refused when starting, not later", () => {
  const emu = new Emulator({ currentTime: false });
  let err: unknown;
  try {
    startAnyScript(emu, { words: ["/nonexistent/mmdbot-program"], cwd: Deno.cwd() });
  } catch (e) {
    err = e;
  }
  assert(err instanceof Error, "spawn should throw");
  assertEquals(emu.peers, 0);
  emu.close();
});
