/**
 * Notes: "remember <something>" saves it to `notes.txt` in this folder; "what do you remember"
 * reads the last three back. Writing needs a permission the manifest grants explicitly
 * (`permissions: { write: [.] }` in bots/bots.yaml); without it the write is refused.
 */
import { createBot } from "../../mod.ts";

const MODEL = "mei";
const VOICE = "mei_voice_normal";
const FILE = new URL("./notes.txt", import.meta.url);

async function readNotes(): Promise<string[]> {
  try {
    return (await Deno.readTextFile(FILE)).split("\n").filter((l) => l.trim() !== "");
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

const bot = createBot();

bot.on("RECOG_EVENT_STOP", async (ctx) => {
  const said = (ctx.args.result ?? "").trim();
  const note = said.match(/^(?:please )?(?:remember|note)(?: that)?\s+(.+)$/i);
  if (note) {
    await Deno.writeTextFile(FILE, note[1] + "\n", { append: true });
    await ctx.speak(MODEL, VOICE, "OK, I will remember that.");
    return;
  }
  if (/what do you remember|my notes/i.test(said)) {
    const notes = (await readNotes()).slice(-3);
    const text = notes.length === 0
      ? "I do not remember anything yet."
      : `You told me: ${notes.join(". ")}.`;
    await ctx.speak(MODEL, VOICE, text);
  }
});

export default bot;
