// The chime bot's own test: the emulator's sound device records what the avatar played.
import { createTestRuntime } from "../../testing.ts";

const MANIFEST = new URL("../bots.yaml", import.meta.url);

function check(ok: boolean, what: string, detail: unknown): void {
  if (!ok) throw new Error(`${what}\n  ${JSON.stringify(detail, null, 2)}`);
}

Deno.test("chime plays its 1.2 s WAV on the avatar as 16 kHz audio with lip sync", async () => {
  await using rt = await createTestRuntime({ bots: ["chime"], manifest: MANIFEST });
  await rt.say("ring the chime");
  await rt.waitForSent("__AV_SETMODEL,mei"); // the host read the file (real I/O)
  await rt.advance(2000);
  const runs = rt.played().runs;
  check(runs.length === 1 && runs[0].model === "mei", "one clip for mei", runs);
  check(runs[0].ms === 1200, "the whole 1.2 s played", runs);
  // 22.05 kHz in, 16 kHz out: 1.2 s is 19 200 samples.
  check(rt.played().pcm.length === 19_200 * 2, "16 kHz mono", rt.played().pcm.length);
  check(rt.sent().some((l) => l.startsWith("LIPSYNC_START|mei|")), "lip sync", rt.sent());
  check(
    rt.logs().some((l) => l.scope === "bot:chime" && l.msg === "chime played (1200 ms)"),
    "the bot heard it finish",
    rt.logs().map((l) => `${l.scope}: ${l.msg}`),
  );
});
Deno.test("chime is cut off when the user starts speaking (barge-in): sending stops at once", async () => {
  await using rt = await createTestRuntime({ bots: ["chime"], manifest: MANIFEST });
  await rt.say("chime");
  await rt.waitForSent("__AV_SETMODEL,mei");
  await rt.advance(500);
  const before = rt.played().packets.length;
  await rt.inject("RECOG_EVENT_START");
  await rt.advance(1000);
  const packets = rt.played().packets;
  check(packets.length === before, "no packet after the barge-in", {
    before,
    after: packets.length,
  });
  const cut = rt.logs().find((l) => l.scope === "bot:chime" && l.msg.startsWith("chime cut by"));
  check(cut?.msg.startsWith("chime cut by barge-in at 500 ms") === true, "cut by barge-in", cut);
  // What played: the 500 ms before the user spoke, and at most the 120 ms already sent.
  const ms = rt.played().runs[0].ms;
  check(ms >= 500 && ms <= 620, "played up to the lookahead past the barge-in", ms);
});
