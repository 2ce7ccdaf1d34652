/**
 * `send` through a running `start`: the runtime sees MMDAgent-EX's echo of each line, so `send`
 * prints `delivered` (or fails naming the line when no echo comes), and the runtime's one
 * connection stays the only one. Real child processes (`start`, `send`) against a loopback peer
 * that behaves as MMDAgent-EX's TCP server does (echoes what it issues).
 */
import { assert, assertEquals, assertIncludes } from "../assert.ts";
import { type EchoPeer, startEchoPeer } from "../control/echo_peer.ts";
import { mmdbot, type SpawnedMmdbot, spawnMmdbot } from "./child.ts";

interface Run {
  mdf: string;
  runDir: string;
  start: SpawnedMmdbot;
}

/** Starts `mmdbot start <mdf>` (no bots) against the peer and waits for its control channel. */
async function startRuntime(peer: EchoPeer, dir: string): Promise<Run> {
  const mdf = `${dir}/content.mdf`;
  await Deno.writeTextFile(
    mdf,
    `Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=${peer.port}\n`,
  );
  await Deno.writeTextFile(`${dir}/bots.yaml`, "bots: {}\n");
  const runDir = `${dir}/run`;
  await Deno.mkdir(runDir, { mode: 0o700 });
  const start = spawnMmdbot(["start", mdf, "--bots", `${dir}/bots.yaml`], {
    env: { MMDBOT_RUNTIME_DIR: runDir },
  });
  // Ready when connected and the control channel's discovery file is there (generous: a hang).
  const served = () => [...Deno.readDirSync(runDir)].some((e) => e.name.endsWith(".json"));
  for (let i = 0; i < 600 && !(served() && peer.accepted === 1); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert(peer.accepted === 1, `start did not connect:\n${start.stderr.text}`);
  assert(served(), `start serves no control channel:\n${start.stderr.text}`);
  return { mdf, runDir, start };
}

async function stopRuntime(run: Run): Promise<void> {
  await run.start.stop();
}

function send(run: Run, args: string[]) {
  return mmdbot(["send", run.mdf, ...args], { env: { MMDBOT_RUNTIME_DIR: run.runDir } });
}

Deno.test("send through a running start prints delivered for each line the runtime saw echoed, on the runtime's one connection", async () => {
  const peer = startEchoPeer();
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-through-" });
  let run: Run | undefined;
  try {
    run = await startRuntime(peer, dir);
    // A generous echo bound: only a lost echo fails, not a slow machine.
    const lines = ["MESSAGE|one", "MESSAGE|two", "MOTION_ADD|mei|wave|w.vmd"];
    const r = await send(run, ["--echo-timeout", "30", ...lines]);
    assertEquals(r.code, 0, r.stderr + run.start.stderr.text);
    assertEquals(
      r.stdout,
      "delivered  MESSAGE|one\ndelivered  MESSAGE|two\ndelivered  MOTION_ADD|mei|wave|w.vmd\n",
    );
    assertEquals(peer.issued, ["MESSAGE|one", "MESSAGE|two", "MOTION_ADD|mei|wave|w.vmd"]);
    assertEquals(peer.accepted, 1, "send used the runtime's connection, not its own");
    assert(!r.stderr.includes("closing this command's own connection"), r.stderr);
    // --echo-timeout 0 asks for no wait: written, as before.
    const w = await send(run, ["--echo-timeout", "0", "MESSAGE|three"]);
    assertEquals(w.code, 0, w.stderr);
    assertEquals(w.stdout, "written  MESSAGE|three\n");
  } finally {
    if (run) await stopRuntime(run);
    await peer.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("send through a running start exits 1 naming the line when MMDAgent-EX never echoes it", async () => {
  const peer = startEchoPeer({ echo: false });
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-through-" });
  let run: Run | undefined;
  try {
    run = await startRuntime(peer, dir);
    const r = await send(run, ["--echo-timeout", "0.5", "MESSAGE|void"]);
    assertEquals(r.code, 1, r.stderr);
    assertEquals(r.stdout, "");
    assertIncludes(r.stderr, "not delivered: MESSAGE|void");
    assertIncludes(r.stderr, "did not echo it within 0.5 s");
    assertEquals(peer.accepted, 1, "the runtime's connection only");
  } finally {
    if (run) await stopRuntime(run);
    await peer.close();
    await Deno.remove(dir, { recursive: true });
  }
});
