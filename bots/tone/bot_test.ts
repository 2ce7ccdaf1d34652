// The tone bot's own test: its generated tune streams to the avatar at the pace it plays.
import { createTestRuntime } from "../../testing.ts";

const MANIFEST = new URL("../bots.yaml", import.meta.url);

function check(ok: boolean, what: string, detail: unknown): void {
  if (!ok) throw new Error(`${what}\n  ${JSON.stringify(detail, null, 2)}`);
}

Deno.test("tone streams its 4 s tune, converted to 16 kHz, at the pace it plays", async () => {
  await using rt = await createTestRuntime({ bots: ["tone"], manifest: MANIFEST });
  await rt.say("play a tone");
  await rt.advance(1000);
  // A second in, only about a second's audio (plus the lookahead) has reached the avatar.
  const early = rt.played().packets.reduce((n, p) => n + p.ms, 0);
  check(early >= 900 && early <= 1200, "paced, not sent at once", early);
  await rt.advance(4000);
  const runs = rt.played().runs;
  check(runs.length === 1 && runs[0].ms === 4000, "the whole tune played, without a gap", runs);
  check(
    rt.logs().some((l) => l.scope === "bot:tone" && l.msg === "tune played (4000 ms)"),
    "the bot heard it finish",
    rt.logs().map((l) => `${l.scope}: ${l.msg}`),
  );
});
Deno.test("tone is cut off by barge-in: no packet after the user starts speaking", async () => {
  await using rt = await createTestRuntime({ bots: ["tone"], manifest: MANIFEST });
  await rt.say("beep");
  await rt.advance(1000);
  const before = rt.played().packets.length;
  await rt.inject("RECOG_EVENT_START");
  await rt.advance(2000);
  check(rt.played().packets.length === before, "no packet after the barge-in", {
    before,
    after: rt.played().packets.length,
  });
  const cut = rt.logs().find((l) => l.scope === "bot:tone" && l.msg.startsWith("tune cut by"));
  check(cut?.msg.startsWith("tune cut by barge-in at 1000 ms") === true, "cut by barge-in", cut);
  check(
    rt.played().runs[0].ms <= 1120,
    "at most the lookahead past the barge-in",
    rt.played().runs,
  );
});
