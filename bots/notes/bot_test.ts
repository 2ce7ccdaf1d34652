// The notes bot's own test: it writes notes.txt in its folder with the write permission that
// bots.yaml grants it. The test puts the folder back as it found it.
import { createTestRuntime } from "../../testing.ts";

const MANIFEST = new URL("../bots.yaml", import.meta.url);
const FILE = new URL("./notes.txt", import.meta.url);

async function keepNotes(fn: () => Promise<void>): Promise<void> {
  const before = await Deno.readTextFile(FILE).catch(() => undefined);
  try {
    await fn();
  } finally {
    if (before === undefined) await Deno.remove(FILE).catch(() => {});
    else await Deno.writeTextFile(FILE, before);
  }
}

Deno.test("notes writes a note to its folder with its grant and reads it back", async () => {
  await keepNotes(async () => {
    await Deno.remove(FILE).catch(() => {});
    await using rt = await createTestRuntime({ bots: ["notes"], manifest: MANIFEST });
    await rt.say("remember the milk is in the fridge");
    // Writing a file is real I/O: wait for the answer that follows it.
    await rt.waitForSent(/\|OK, I will remember that\.$/);
    const text = await Deno.readTextFile(FILE);
    if (!text.includes("the milk is in the fridge")) throw new Error(`notes.txt: ${text}`);
    await rt.advance(30_000);
    rt.clearSent();
    await rt.say("what do you remember");
    const said = await rt.waitForSent("SYNTH_START|");
    if (!said.endsWith("|You told me: the milk is in the fridge.")) throw new Error(said);
  });
});
