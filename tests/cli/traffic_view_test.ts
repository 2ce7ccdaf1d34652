/**
 * `start -v` outside console mode: a readable view of the traffic in both directions, with the
 * bot behind each outgoing line and whose line each echo is. Real child processes: against the
 * emulator's TCP server over loopback (the view on stdout) and as an AnyScript child (the view on
 * stderr, stdout keeps only message lines).
 */
import { assert, assertEquals, assertIncludes } from "../assert.ts";
import { Emulator } from "../../runtime/emulator/core.ts";
import { serveTcp } from "../../runtime/emulator/tcp_server.ts";
import { mmdbot, spawnMmdbot } from "./child.ts";

Deno.test("start -v against MMDAgent-EX's TCP server shows both directions on stdout: which bot sent each line, and whose line each echo is", async () => {
  const emu = new Emulator({ currentTime: false });
  const side = serveTcp(emu, { port: 0 });
  const dir = Deno.makeTempDirSync();
  const mdf = `${dir}/content.mdf`;
  Deno.writeTextFileSync(
    mdf,
    `Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=${side.port}\n`,
  );
  const run = spawnMmdbot(["start", mdf, "--no-watch", "-v"], {}, 60_000);
  const out = run.stdout, err = run.stderr;
  try {
    // The user speaks on MMDAgent-EX's side until the greeter has answered (its load may be slow).
    for (let i = 0; i < 60 && !out.text.includes("(echo of greeter)"); i++) {
      if (emu.peers === 1) {
        emu.inject("RECOG_EVENT_START");
        emu.inject("RECOG_EVENT_STOP", "hello");
      }
      await out.until((t) => t.includes("(echo of greeter)"), 1000);
    }
    const lines = out.text.split("\n");
    // A slow bot start can make the user say hello twice; the greeter then answers the later
    // turn only ("Hello again!"), as the floor drops an ended turn's speech.
    const greeting = /SYNTH_START\|mei\|mei_voice_normal\|Hello( again)?!/;
    const sent = lines.find((l) => greeting.test(l) && l.includes("→ greeter"));
    assert(sent, `no SYNTH_START in the view:\n${out.text}\n${err.text}`);
    assert(/^\d\d:\d\d:\d\d\.\d{3} → greeter +SYNTH_START\|/.test(sent), sent);
    const heard = lines.find((l) => /← +RECOG_EVENT_STOP\|hello$/.test(l));
    assert(heard, `no inbound RECOG_EVENT_STOP in the view:\n${out.text}`);
    const echo = lines.find((l) => l.includes("← ") && l.endsWith("(echo of greeter)"));
    assert(greeting.test(echo ?? ""), `no echo of the greeting: ${echo}`);
    assertEquals(emu.peers, 1);
  } finally {
    const status = await run.stop();
    await side.close();
    emu.close();
    assertEquals(status.code, 0, err.text);
  }
});

Deno.test("start --stdio -v keeps stdout for message lines only and shows the view on stderr", async () => {
  const out = await mmdbot(["start", "--stdio", "--no-watch", "-v"], {
    cwd: Deno.makeTempDirSync(),
    input: "RECOG_EVENT_START\nRECOG_EVENT_STOP|hello\n",
  });
  const { stdout, stderr } = out;
  assertEquals(out.code, 0, stderr);
  assertIncludes(stdout, "SYNTH_START|mei|mei_voice_normal|Hello! Nice to meet you.");
  for (const line of stdout.split("\n").filter((l) => l !== "")) {
    assert(/^[A-Z_]+(\||$)/.test(line), `not a message line on stdout: ${JSON.stringify(line)}`);
  }
  assert(
    /→ greeter +SYNTH_START\|mei\|mei_voice_normal\|Hello! Nice to meet you\./.test(stderr),
    stderr,
  );
  assert(/← +RECOG_EVENT_STOP\|hello/.test(stderr), stderr);
});
