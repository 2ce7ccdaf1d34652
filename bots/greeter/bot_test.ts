// The greeter's own test: run it with `deno task test` (or `deno test -A bots/greeter/`).
import { createTestRuntime } from "../../testing.ts";

const MANIFEST = new URL("../bots.yaml", import.meta.url);

function check(ok: boolean, what: string, lines: string[]): void {
  if (!ok) throw new Error(`${what}\n  lines: ${JSON.stringify(lines, null, 2)}`);
}

Deno.test("greeter answers hello by voice and waits for its speech to end", async () => {
  await using rt = await createTestRuntime({ bots: ["greeter"], manifest: MANIFEST });
  await rt.say("hello");
  check(
    rt.sent().includes("SYNTH_START|mei|mei_voice_normal|Hello! Nice to meet you."),
    "greeter did not answer hello",
    rt.sent(),
  );
  // The emulator (with a voice) ends the speech after a while; the greeter waits for it.
  await rt.advance(30_000);
  check(rt.received().includes("SYNTH_EVENT_STOP|mei"), "speech did not end", rt.received());
  check(
    !rt.logs().some((l) => l.msg.includes("no SYNTH_EVENT_STOP")),
    "greeter gave up waiting although the speech ended",
    rt.logs().map((l) => l.msg),
  );
  rt.clearSent();
  await rt.say("hi");
  check(rt.sent().some((l) => l.endsWith("|Hello again!")), "no second greeting", rt.sent());
});

Deno.test("greeter stays silent on other words and warns when no voice ends its speech", async () => {
  await using rt = await createTestRuntime({ bots: ["greeter"], manifest: MANIFEST, voice: false });
  await rt.say("the sky is blue");
  check(rt.sent().length === 0, "greeter answered something that is no greeting", rt.sent());
  await rt.say("goodbye");
  check(rt.sent().some((l) => l.endsWith("|Goodbye! Talk to you soon.")), "no goodbye", rt.sent());
  // Without a voice, SYNTH_EVENT_STOP never comes: the greeter's wait times out on the clock.
  await rt.advance(60_000);
  check(
    rt.logs().some((l) => l.scope === "bot:greeter" && l.msg.includes("no SYNTH_EVENT_STOP")),
    "no warning after the wait timed out",
    rt.logs().map((l) => `${l.scope}: ${l.msg}`),
  );
});
