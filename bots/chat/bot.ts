/**
 * An LLM chat bot: streams an OpenAI-compatible chat completion and speaks it sentence by sentence
 * as it arrives, plays `[motion:…]`/`[face:…]` tags through `tags.json`, remembers the user's name
 * and the conversation in `ctx.store` (kept across restarts), and stops talking and cancels the
 * request when the user starts speaking again (barge-in).
 *
 * Off by default (bots/bots.yaml, `enabled: false`). Point it at a server with OPENAI_BASE_URL
 * (e.g. `http://127.0.0.1:8080/v1` for llama.cpp's server, `http://127.0.0.1:11434/v1` for
 * Ollama), OPENAI_MODEL and, for hosted APIs, OPENAI_API_KEY; see the README, "Writing an LLM bot".
 */
import {
  type ChatMessage,
  createBot,
  LlmError,
  parseTagMap,
  speakLlm,
  type TagMap,
} from "../../mod.ts";

const MODEL = "mei";
const VOICE = "mei_voice_normal";
/** Turns of the conversation sent with each request. */
const CONTEXT_TURNS = 20;
/** Turns kept in the store. */
const KEEP_TURNS = 200;

interface State {
  tags?: TagMap;
}

const bot = createBot<State>({ state: () => ({}) });

bot.onStart(async (ctx) => {
  const text = await Deno.readTextFile(new URL("./tags.json", import.meta.url));
  ctx.state.tags = parseTagMap(JSON.parse(text));
});

/** What the user says about their name, if anything. */
export function nameIn(said: string): string | undefined {
  const m = said.match(/\b(?:my name is|call me|i am|i'm)\s+([A-Z][\p{L}'-]*)/iu);
  return m ? m[1][0].toUpperCase() + m[1].slice(1) : undefined;
}

/** The system prompt: who the avatar is, what it knows about the user, which tags it may use. */
export function systemPrompt(name: string | undefined, tags: TagMap | undefined): string {
  const lines = [
    "You are Mei, a friendly avatar speaking out loud. Answer in one to three short sentences.",
    name ? `The user's name is ${name}.` : "You do not know the user's name yet.",
  ];
  const kinds = Object.entries(tags?.kinds ?? {});
  if (kinds.length > 0) {
    const list = kinds.map(([kind, names]) =>
      Object.keys(names).map((n) => `[${kind}:${n}]`).join(" ")
    ).join(" ");
    lines.push(`You may put one of these tags before a sentence to move or show a face: ${list}.`);
  }
  return lines.join(" ");
}

// Barge-in needs no handler here: the host's speech floor stops the avatar when the user starts
// speaking again, and ends the turn, whose signal cancels the request and what is left to say.
bot.on("RECOG_EVENT_STOP", async (ctx) => {
  const said = (ctx.args.result ?? "").trim();
  if (said === "") return;
  // Set on handlers of the user's speech: aborts when the user speaks again.
  const signal = ctx.turn?.signal;

  const named = nameIn(said);
  if (named) await ctx.store.set("user/name", named);
  const name = named ?? await ctx.store.get<string>("user/name");
  const history = ctx.store.history("chat");
  await history.append({ role: "user", content: said }, { keep: KEEP_TURNS });
  const messages: ChatMessage[] = [
    { role: "system", content: systemPrompt(name, ctx.state.tags) },
    ...await history.last(CONTEXT_TURNS),
  ];

  try {
    const result = await speakLlm(
      ctx,
      ctx.llm.stream({ messages, signal }),
      { model: MODEL, voice: VOICE, tags: ctx.state.tags, signal },
    );
    // Remember what the user actually heard (the store is not tied to the turn).
    const heard = result.interrupted ? result.spoken.join(" ") : result.text.trim();
    if (heard) await history.append({ role: "assistant", content: heard }, { keep: KEEP_TURNS });
  } catch (e) {
    if (signal?.aborted) return;
    ctx.log.error(e instanceof LlmError ? `LLM ${e.code}: ${e.message}` : String(e));
    await ctx.speak(MODEL, VOICE, "Sorry, I cannot think right now.");
  }
});

export default bot;
