import { assertEquals } from "../assert.ts";
import { createSend } from "../../runtime/bot/send_builders.ts";
import type { Refusal } from "../../runtime/wire/types.ts";
import type { SendResult } from "../../runtime/bot/define.ts";

/** `ctx.send` over a recorder: the lines it would send and the refusals it made in the bot. */
function recorder() {
  const lines: string[] = [];
  const refused: Refusal[] = [];
  const send = createSend(
    (text) => {
      lines.push(text);
      return Promise.resolve({ status: "sent" } as unknown as SendResult);
    },
    (refusal) => {
      refused.push(refusal);
      return Promise.resolve({ status: "refused" } as unknown as SendResult);
    },
  );
  return { send, lines, refused };
}

Deno.test("send.command puts named fields in the catalog's wire order and leaves trailing optional fields out", async () => {
  const r = recorder();
  await r.send.command("MOTION_ADD", {
    part: "PART",
    motionFile: "motion/nod.vmd",
    motionAlias: "nod",
    modelAlias: "mei",
  });
  await r.send.command("TIMER_START", { name: "idle", seconds: 30 });
  await r.send.command("SYNTH_START", { modelAlias: "mei", voiceAlias: "v", text: "Hi!" });
  assertEquals(r.lines, [
    "MOTION_ADD|mei|nod|motion/nod.vmd|PART",
    "TIMER_START|idle|30",
    "SYNTH_START|mei|v|Hi!",
  ]);
  assertEquals(r.refused, []);
});

Deno.test("send.command refuses in the bot a missing required field, a gap before a given optional one, an unknown field and a non-line command", async () => {
  const r = recorder();
  // Each call is one mistake a caller that bypasses the types can make (plain JS, `as` casts).
  const loose = r.send.command as (type: string, args: Record<string, unknown>) => unknown;
  await loose("SYNTH_START", { modelAlias: "mei", text: "Hi" });
  await loose("MOTION_ADD", { modelAlias: "m", motionAlias: "a", motionFile: "f", smooth: "ON" });
  await loose("TIMER_STOP", { name: "t", secs: 3 });
  await loose("__AV_START", {});
  await loose("RECOG_EVENT_STOP", { result: "x" });
  assertEquals(r.lines, []);
  assertEquals(r.refused.map((x) => x.code), [
    "bad-arguments",
    "bad-arguments",
    "bad-arguments",
    "bad-type",
    "bad-type",
  ]);
  assertEquals(r.refused[0].reason, "SYNTH_START needs its field voiceAlias");
  assertEquals(r.refused[1].reason, "MOTION_ADD: smooth is given but part before it is not");
  assertEquals(r.refused[2].reason, 'TIMER_STOP has no field "secs"');
});

Deno.test("send.command's fields still pass the bot-side field checks (no | inside a field)", async () => {
  const r = recorder();
  await r.send.command("TEXTAREA_SET", { alias: "a", textOrImagePath: "x|y" });
  assertEquals(r.lines, []);
  assertEquals(r.refused.map((x) => x.code), ["field-separator"]);
});
