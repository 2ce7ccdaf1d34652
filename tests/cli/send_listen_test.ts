/**
 * `mmdbot send`, `listen`, `status`, `reload` and `stop` as real child processes: against a
 * runtime's control channel (served in this process over a real link to a loopback peer that
 * stands in for MMDAgent-EX's TCP server), and on their own connection when no runtime runs.
 */
import { serveControl } from "../../runtime/control/server.ts";
import { assert, assertEquals, assertIncludes, eventually } from "../assert.ts";
import { fakeSession, type Peer, startPeer } from "../control/fake_session.ts";
import { RUNTIME_PERMISSIONS } from "../../runtime/paths/invocation.ts";

const MAIN = new URL("../../runtime/cli/main.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;
const PERMS = ["--no-prompt", ...RUNTIME_PERMISSIONS];
const WARNING = "closing this command's own connection to MMDAgent-EX";

function cli(dir: string, args: string[], stdin?: "piped") {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMS, MAIN, ...args],
    cwd: ROOT,
    env: { MMDBOT_RUNTIME_DIR: dir, NO_COLOR: "1" },
    stdin: stdin ?? "null",
    stdout: "piped",
    stderr: "piped",
  });
}

async function run(dir: string, args: string[], input?: string) {
  const child = cli(dir, args, input === undefined ? undefined : "piped").spawn();
  if (input !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(input));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function mdfFor(peer: Peer): Promise<{ mdf: string; dir: string; cleanup(): Promise<void> }> {
  const work = await Deno.makeTempDir({ prefix: "mmdbot-cli-" });
  const dir = `${work}/run`;
  await Deno.mkdir(dir, { mode: 0o700 });
  const mdf = `${work}/content.mdf`;
  await Deno.writeTextFile(
    mdf,
    `Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=${peer.port}\n`,
  );
  return { mdf, dir, cleanup: () => Deno.remove(work, { recursive: true }) };
}

async function withRuntime(
  fn: (
    ctx: { mdf: string; dir: string; peer: Peer; session: Awaited<ReturnType<typeof fakeSession>> },
  ) => Promise<void>,
) {
  const peer = startPeer();
  const files = await mdfFor(peer);
  const session = await fakeSession(peer.port);
  await session.connected;
  const server = await serveControl(session, { mdfPath: files.mdf, dir: files.dir });
  try {
    await fn({ mdf: files.mdf, dir: files.dir, peer, session });
  } finally {
    await server.close();
    await session.shutdown();
    await peer.close();
    await files.cleanup();
  }
}

/** Reads a child's stdout line by line. */
function stdoutLines(child: Deno.ChildProcess) {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  return {
    async next(): Promise<string | undefined> {
      for (;;) {
        const i = buf.indexOf("\n");
        if (i !== -1) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          return line;
        }
        const { value, done } = await reader.read();
        if (done) return undefined;
        buf += value;
      }
    },
    async rest(): Promise<string> {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return buf;
        buf += value;
      }
    },
  };
}

Deno.test({
  name:
    "with a runtime running, 100 send processes and 10 listen attach/detach cycles leave its one connection untouched; every line arrives once, in order",
  sanitizeResources: true,
  fn: () =>
    withRuntime(async ({ mdf, dir, peer, session }) => {
      const sent: string[] = [];
      for (let i = 0; i < 100; i++) {
        const line = `MESSAGE|cli${i}`;
        const r = await run(dir, ["send", mdf, line]);
        assertEquals(r.code, 0, `send ${i}: ${r.stderr}`);
        assertEquals(r.stdout, `written  ${line}\n`);
        assert(!r.stderr.includes(WARNING), "no disconnect warning through a runtime");
        sent.push(line);

        if (i % 10 === 9) {
          const k = (i + 1) / 10;
          const json = k % 2 === 0;
          const child = cli(dir, json ? ["listen", "--json", mdf] : ["listen", mdf]).spawn();
          const lines = stdoutLines(child);
          await eventually(() => session.tailers === 1, `listen ${k} attached`);
          await peer.write(`EVENT_${k}|x\n`);
          const got = await lines.next();
          if (json) {
            const rec = JSON.parse(got ?? "null");
            assertEquals([rec.dir, rec.line], ["in", `EVENT_${k}|x`]);
            assert(typeof rec.conn === "string" && typeof rec.time === "string", "a record");
          } else {
            assertEquals(got, `EVENT_${k}|x`, "printed exactly as received");
          }
          child.kill("SIGINT");
          const status = await child.status;
          const rest = await lines.rest();
          const err = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
          assertEquals(status.code, 0, err);
          assertEquals(rest, "", "stdout carries only message lines");
          assert(!err.includes(WARNING), "detaching does not warn: nothing closes");
          await eventually(() => session.tailers === 0, `listen ${k} detached`);
        }
      }
      assertEquals(await peer.waitLines(100), sent);
      assertEquals(peer.conns.length, 1, "the peer saw exactly one connection");
      assert(!peer.conns[0].closed, "and it is still open");
      assertEquals(session.link.stats().reconnects, 0);
    }),
});

Deno.test("send exits 1 with the reason and the fix when a line is refused; other lines still go, in order", () =>
  withRuntime(async ({ mdf, dir, peer }) => {
    const r = await run(dir, ["send", mdf, "MESSAGE|ok", "EXECUTE|calc.exe", "MESSAGE|after"]);
    assertEquals(r.code, 1, r.stderr);
    assertEquals(r.stdout, "written  MESSAGE|ok\nwritten  MESSAGE|after\n");
    assertIncludes(r.stderr, "refused (acl-denied): EXECUTE|calc.exe");
    assertIncludes(r.stderr, "EXECUTE is a dangerous command");
    assertIncludes(
      r.stderr,
      "fix: if you really mean it, repeat the command with --allow-dangerous",
    );
    const allowed = await run(dir, ["send", "--allow-dangerous", mdf, "EXECUTE|calc.exe"]);
    assertEquals(allowed.code, 0, allowed.stderr);
    const piped = await run(dir, ["send", "-q", mdf, "-"], "MESSAGE|a\r\nSE\nMESSAGE|b\n");
    assertEquals(piped.code, 1, "the short S line is refused");
    assertIncludes(piped.stderr, "refused (short-s-line): SE");
    assertIncludes(piped.stderr, "__AV_MESSAGE,SE");
    assertEquals(piped.stdout, "", "--quiet");
    assertEquals(await peer.waitLines(5), [
      "MESSAGE|ok",
      "MESSAGE|after",
      "EXECUTE|calc.exe",
      "MESSAGE|a",
      "MESSAGE|b",
    ]);
    assertEquals(peer.conns.length, 1);
  }));

Deno.test("status, reload and stop talk to the running runtime; stop returns once the runtime closed its connection", () =>
  withRuntime(async ({ mdf, dir, session, peer }) => {
    const status = await run(dir, ["status", mdf]);
    assertEquals(status.code, 0, status.stderr);
    assertIncludes(status.stdout, `runtime pid ${Deno.pid}`);
    assertIncludes(status.stdout, "greeter  isolation=none  state=running");
    const json = JSON.parse((await run(dir, ["status", "--json", mdf])).stdout);
    assertEquals(json.link.state, "connected");
    const all = await run(dir, ["status", "--all", "--json"]);
    assertEquals(JSON.parse(all.stdout).map((s: { pid: number }) => s.pid), [Deno.pid]);
    const reload = await run(dir, ["reload", mdf, "greeter"]);
    assertEquals([reload.code, reload.stdout], [0, "reloaded: greeter\n"]);
    assertEquals(session.calls.reload, ["greeter"]);
    const stop = await run(dir, ["stop", mdf]);
    assertEquals(stop.code, 0, stop.stderr);
    assertIncludes(stop.stdout, `stopped the runtime (pid ${Deno.pid})`);
    assertEquals(session.calls.stop, 1);
    await eventually(() => peer.conns[0].closed, "the runtime closed its connection");
  }));

Deno.test("status, reload and stop without a runtime exit 1 naming the .mdf and the start command", async () => {
  const peer = startPeer();
  const files = await mdfFor(peer);
  try {
    for (const cmd of [["status", files.mdf], ["reload", files.mdf], ["stop", files.mdf]]) {
      const r = await run(files.dir, cmd);
      assertEquals(r.code, 1, cmd[0]);
      assertIncludes(r.stderr, `no runtime is running for ${files.mdf}`);
      assertIncludes(r.stderr, `mmdbot start ${files.mdf}`);
    }
    const console = await run(files.dir, ["status"]);
    assertIncludes(console.stderr, "no runtime is running for console mode");
  } finally {
    await peer.close();
    await files.cleanup();
  }
});

Deno.test("without a runtime, send opens its own connection, writes the line, and warns before closing it", async () => {
  const peer = startPeer();
  const files = await mdfFor(peer);
  try {
    // This peer never echoes: --echo-timeout 0 (send_delivery_test.ts covers the echo wait).
    const r = await run(files.dir, ["send", "--echo-timeout", "0", files.mdf, "MESSAGE|direct"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "written  MESSAGE|direct\n");
    assertIncludes(r.stderr, "no runtime is running for");
    assertIncludes(r.stderr, WARNING);
    assertIncludes(r.stderr, "the whole MMDAgent-EX process is killed");
    assertEquals(await peer.waitLines(1), ["MESSAGE|direct"]);
    await eventually(() => peer.conns[0].closed, "the one-shot connection closed");
    // A refused line on the own connection: exit 1, never written.
    const refused = await run(files.dir, ["send", "--direct", files.mdf, "EXECUTE|x"]);
    assertEquals(refused.code, 1);
    assertIncludes(refused.stderr, "refused (acl-denied)");
    await peer.waitConns(2);
    await eventually(() => peer.conns[1].closed, "second connection closed");
    assertEquals(peer.conns[1].lines, []);
  } finally {
    await peer.close();
    await files.cleanup();
  }
});

Deno.test("send --direct bypasses a running runtime; send --keep writes stdin's lines on one connection until EOF", () =>
  withRuntime(async ({ mdf, dir, peer }) => {
    const r = await run(
      dir,
      ["send", "--direct", "--keep", "--echo-timeout", "0", mdf, "MESSAGE|first"],
      "MESSAGE|k1\nMESSAGE|k2\n",
    );
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "written  MESSAGE|first\nwritten  MESSAGE|k1\nwritten  MESSAGE|k2\n");
    assertIncludes(r.stderr, WARNING);
    await peer.waitConns(2);
    await eventually(() => peer.conns[1].closed, "the own connection closed after EOF");
    assertEquals(peer.conns[1].lines, ["MESSAGE|first", "MESSAGE|k1", "MESSAGE|k2"]);
    assertEquals(peer.conns[0].lines, [], "the runtime's connection carried none of it");
  }));

Deno.test("without a runtime, listen prints inbound lines exactly on its own connection and warns when Ctrl-C closes it", async () => {
  const peer = startPeer();
  const files = await mdfFor(peer);
  try {
    const child = cli(files.dir, ["listen", files.mdf]).spawn();
    const lines = stdoutLines(child);
    await peer.waitConns(1);
    await peer.write("RECOG_EVENT_STOP|こんにちは\nAVATAR|START\n");
    assertEquals(await lines.next(), "RECOG_EVENT_STOP|こんにちは");
    assertEquals(await lines.next(), "AVATAR|START");
    child.kill("SIGINT");
    const status = await child.status;
    const err = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
    assertEquals(status.code, 0, err);
    assertEquals(await lines.rest(), "");
    assertIncludes(err, WARNING);
    await eventually(() => peer.conns[0].closed, "closed on Ctrl-C");
  } finally {
    await peer.close();
    await files.cleanup();
  }
});
