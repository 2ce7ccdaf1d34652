// The storyteller's own test: the story streams sentence by sentence and stops at a barge-in.
import { createTestRuntime } from "../../testing.ts";
import { STORY } from "./bot.ts";

const MANIFEST = new URL("../bots.yaml", import.meta.url);
const said = (lines: string[]) =>
  lines.filter((l) => l.startsWith("SYNTH_START|")).map((l) => l.split("|")[3]);

Deno.test("storyteller speaks the story sentence by sentence, each after the previous one ended", async () => {
  await using rt = await createTestRuntime({ bots: ["storyteller"], manifest: MANIFEST });
  await rt.say("tell me a story");
  for (let t = 0; said(rt.sent()).length < STORY.length; t += 500) {
    if (t > 120_000) throw new Error(`story not told: ${said(rt.sent())}`);
    await rt.advance(500);
  }
  if (JSON.stringify(said(rt.sent())) !== JSON.stringify(STORY)) {
    throw new Error(`told: ${JSON.stringify(said(rt.sent()))}`);
  }
});

Deno.test("storyteller stops when the user starts speaking: SYNTH_STOP, and no later sentence", async () => {
  await using rt = await createTestRuntime({ bots: ["storyteller"], manifest: MANIFEST });
  await rt.say("tell me a story");
  for (let t = 0; said(rt.sent()).length < 2; t += 100) {
    if (t > 60_000) throw new Error(`no second sentence: ${rt.sent()}`);
    await rt.advance(100);
  }
  await rt.advance(500); // inside the second sentence
  await rt.userStarts();
  if (!rt.sent().includes("SYNTH_STOP|mei")) throw new Error(`not stopped: ${rt.sent()}`);
  await rt.advance(60_000);
  if (said(rt.sent()).length !== 2) throw new Error(`spoke on: ${said(rt.sent())}`);
  const log = rt.logs().find((l) => l.scope === "bot:storyteller" && l.msg.startsWith("stopped"));
  if (log?.msg !== "stopped by barge-in after 2 sentences") throw new Error(`log: ${log?.msg}`);
});
