/**
 * `speakLlm(ctx, stream, options)`: speaks an LLM's text stream sentence by sentence as each
 * sentence completes, with its `[kind:name]` tags taken out and played as motions when the
 * sentence they stand in starts. Reading the stream and speaking run side by side: the second
 * sentence is generated while the first is spoken.
 *
 * Sentences are cut by the conversation room's segmenter (the same rules the host's streamed
 * speech uses: `。！？!?`, `.` before a space, line breaks; not inside `3.5`, `e.g.` or brackets).
 * Aborting `signal` (barge-in, the next turn) stops reading the stream (which cancels the HTTP
 * request) and speaks nothing more.
 *
 * @module
 */
import { createSegmenter, speakable } from "../conversation/segment.ts";
import type { BotContext } from "./define.ts";
import { createTagFilter, tagCommand, type TagMap } from "./tags.ts";

/** Options of {@link speakLlm}. */
export interface SpeakLlmOptions {
  /** Model alias that speaks. */
  model: string;
  /** Voice name (`mei_voice_normal`…). */
  voice: string;
  /** Tag mapping (see `tags.ts`); without it every tag is dropped (and logged once). */
  tags?: TagMap;
  /** Stops reading and speaking (default: the handler's turn's signal, when there is a turn). */
  signal?: AbortSignal;
  /** End the first sentence at a comma once it has this many characters (speech starts sooner). */
  firstChunkAtComma?: number;
}

/** What {@link speakLlm} did. */
export interface SpeakLlmResult {
  /** All text of the stream without its tags (what was or would have been spoken). */
  text: string;
  /** The sentences that were handed to speech, in order. */
  spoken: string[];
  /** True when `signal` stopped it before the end. */
  interrupted: boolean;
}

/** Tags already reported as unknown, per bot process (each is logged once). */
const reported = new Set<string>();

/**
 * Speaks `source` (e.g. `ctx.llm.stream(…)`) as it arrives. Rejects with the stream's error (an
 * `LlmError`) after speaking what had arrived before it.
 *
 * @example
 * ```ts
 * import { createBot, speakLlm } from "@mmdbot/mmdbot";
 *
 * export default createBot().on("RECOG_EVENT_STOP", async (ctx) => {
 *   const messages = [{ role: "user" as const, content: ctx.args.result ?? "" }];
 *   const tags = undefined;
 *   const signal = ctx.turn?.signal;
 *   const result = await speakLlm(ctx, ctx.llm.stream({ messages }), {
 *     model: "mei", voice: "mei_voice_normal", tags, signal,
 *   });
 * });
 * ```
 */
export async function speakLlm(
  ctx: BotContext<unknown>,
  source: AsyncIterable<string>,
  options: SpeakLlmOptions,
): Promise<SpeakLlmResult> {
  // Default: the handler's turn (conversation room), so a barge-in stops it.
  const signal = options.signal ?? (ctx as { turn?: { signal?: AbortSignal } }).turn?.signal;
  const filter = createTagFilter();
  const segmenter = createSegmenter({ firstChunkAtComma: options.firstChunkAtComma });
  type Item = { sentence: string; commands: string[] };
  const queue: Item[] = [];
  let commands: string[] = [];
  let text = "";
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  signal?.addEventListener("abort", notify, { once: true });

  const take = (pieces: ReturnType<typeof filter.push>, sentences: (t: string) => string[]) => {
    for (const p of pieces) {
      if ("tag" in p) {
        const line = options.tags ? tagCommand(options.tags, p.kind, p.name) : undefined;
        if (line) commands.push(line);
        else if (!reported.has(`${p.kind}:${p.name}`)) {
          reported.add(`${p.kind}:${p.name}`);
          ctx.log.warn(
            `unknown tag ${p.tag} dropped (not spoken): add "${p.kind}": { "${p.name}": ` +
              `{ "file": "….vmd" } } to the bot's tags.json`,
          );
        }
        continue;
      }
      text += p.text;
      for (const s of sentences(p.text)) {
        queue.push({ sentence: s, commands });
        commands = [];
      }
    }
  };

  const reading = (async () => {
    try {
      for await (const piece of source) {
        if (signal?.aborted) break;
        take(filter.push(piece), (t) => segmenter.push(t));
        notify();
      }
      take(filter.end(), (t) => segmenter.push(t));
      for (const s of segmenter.flush()) {
        queue.push({ sentence: s, commands });
        commands = [];
      }
      // Tags after the last sentence still play, at the end.
      if (commands.length > 0) queue.push({ sentence: "", commands });
    } catch (e) {
      if (!signal?.aborted) failure = e;
    } finally {
      ended = true;
      notify();
    }
  })();

  const spoken: string[] = [];
  for (;;) {
    if (signal?.aborted) break;
    const item = queue.shift();
    if (!item) {
      if (ended) break;
      await new Promise<void>((r) => (wake = r));
      continue;
    }
    for (const line of item.commands) await ctx.sendRaw(line);
    if (!speakable(item.sentence)) continue;
    spoken.push(item.sentence);
    await ctx.speak(options.model, options.voice, item.sentence);
  }
  // After an abort the stream may still be waiting for its next chunk (its own signal ends it).
  if (!signal?.aborted) await reading;
  signal?.removeEventListener("abort", notify);
  if (failure !== undefined) throw failure;
  return { text, spoken, interrupted: signal?.aborted ?? false };
}
