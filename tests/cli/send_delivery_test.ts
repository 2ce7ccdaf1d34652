/**
 * `send` on its own connection waits for MMDAgent-EX's echo of each line before it closes, against
 * a peer that behaves as MMDAgent-EX does (echoes what it issues; issues nothing from a peer that
 * already closed). Real child processes over loopback TCP.
 */
import { assert, assertEquals, assertIncludes } from "../assert.ts";
import { startEchoPeer } from "../control/echo_peer.ts";

const MAIN = new URL("../../runtime/cli/main.ts", import.meta.url).pathname;

async function send(port: number, args: string[]) {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-send-" });
  const mdf = `${dir}/content.mdf`;
  await Deno.writeTextFile(
    mdf,
    `Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=${port}\n`,
  );
  const runDir = `${dir}/run`;
  await Deno.mkdir(runDir, { mode: 0o700 });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "-A", MAIN, "send", mdf, ...args],
      env: { MMDBOT_RUNTIME_DIR: runDir, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("send waits for each line's echo, prints delivered, and MMDAgent-EX issued every line", async () => {
  const peer = startEchoPeer();
  try {
    const r = await send(peer.port, ["MESSAGE|one", "MESSAGE|two", "MOTION_ADD|mei|wave|w.vmd"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(
      r.stdout,
      "delivered  MESSAGE|one\ndelivered  MESSAGE|two\ndelivered  MOTION_ADD|mei|wave|w.vmd\n",
    );
    assertEquals(peer.issued, ["MESSAGE|one", "MESSAGE|two", "MOTION_ADD|mei|wave|w.vmd"]);
    assertIncludes(r.stderr, "closing this command's own connection");
  } finally {
    await peer.close();
  }
});

Deno.test("without the echo wait (--echo-timeout 0) the line is written and lost: the peer closed before the main loop took it", async () => {
  const peer = startEchoPeer({ frameMs: 300 });
  try {
    const r = await send(peer.port, ["--echo-timeout", "0", "MESSAGE|lost"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "written  MESSAGE|lost\n");
    await new Promise((res) => setTimeout(res, 400));
    assertEquals(peer.issued, [], "what the real binary does with a line from a closed peer");
  } finally {
    await peer.close();
  }
});

Deno.test("send exits 1 naming the line and the fix when no echo comes within --echo-timeout", async () => {
  const peer = startEchoPeer({ echo: false });
  try {
    const r = await send(peer.port, ["--echo-timeout", "0.5", "MESSAGE|void"]);
    assertEquals(r.code, 1, r.stderr);
    assertEquals(r.stdout, "");
    assertIncludes(r.stderr, "not delivered: MESSAGE|void");
    assertIncludes(r.stderr, "did not echo it within 0.5 s");
    assertIncludes(r.stderr, "--echo-timeout waits longer");
  } finally {
    await peer.close();
  }
});

Deno.test("a bad --echo-timeout is refused before any connection is opened", async () => {
  const peer = startEchoPeer();
  try {
    const r = await send(peer.port, ["--echo-timeout", "soon", "MESSAGE|x"]);
    assert(r.code !== 0);
    assertIncludes(r.stderr, "--echo-timeout takes a number of seconds");
    assertEquals(peer.accepted, 0);
  } finally {
    await peer.close();
  }
});
