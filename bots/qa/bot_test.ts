// The qa bot's own test: answers come from qa.yaml in this folder.
import { createTestRuntime } from "../../testing.ts";
import { findAnswer, parseQa } from "./qa_yaml.ts";

const MANIFEST = new URL("../bots.yaml", import.meta.url);

Deno.test("qa answers a keyword from qa.yaml and ignores other speech", async () => {
  const entries = parseQa(await Deno.readTextFile(new URL("./qa.yaml", import.meta.url)));
  const expected = findAnswer(entries, "how is the weather today");
  if (!expected) throw new Error("qa.yaml has no entry for the weather any more: update this test");

  await using rt = await createTestRuntime({ bots: ["qa"], manifest: MANIFEST });
  await rt.say("how is the weather today");
  const answer = `SYNTH_START|mei|mei_voice_normal|${expected}`;
  if (!rt.sent().includes(answer)) {
    throw new Error(`expected ${answer}\n  sent: ${JSON.stringify(rt.sent())}`);
  }
  await rt.advance(30_000);
  rt.clearSent();
  await rt.say("zzz nothing to see");
  if (rt.sent().length > 0) throw new Error(`answered the unknown: ${rt.sent()}`);
});
