/**
 * mmdbot's bot API: everything a bot module needs. A bot is a folder `bots/<name>/` whose
 * `bot.ts` default-exports a bot made with {@link createBot}; `bots/bots.yaml` lists the bots that
 * run. Each bot runs in its own sandboxed process; what it sends is checked by the host (ACL, rate
 * limit, message catalog, line guard) before it reaches MMDAgent-EX.
 *
 * @example Answer what the user says
 * ```ts
 * import { createBot } from "../../mod.ts";
 *
 * const bot = createBot();
 *
 * bot.on("RECOG_EVENT_STOP", async (ctx) => {
 *   // Register the wait before sending, so a fast answer cannot slip past it.
 *   const done = ctx.waitFor("SYNTH_EVENT_STOP", { timeoutMs: 20_000 });
 *   await ctx.send.synthStart("mei", "mei_voice_normal", `You said ${ctx.args.result}`);
 *   await done.catch(() => ctx.log.warn("no SYNTH_EVENT_STOP: is a voice installed?"));
 * });
 *
 * bot.hear(/^KEY\|(\w)$/, (ctx) => ctx.log.info(`key ${ctx.match![1]}`));
 *
 * export default bot;
 * ```
 *
 * @module
 */
export {
  type ArgsOf,
  Bot,
  type BotContext,
  type BotLogger,
  type BotOptions,
  createBot,
  type ErrorHandler,
  type Handler,
  type Hook,
  type Message,
  type MessageContext,
  type MessageType,
  type Middleware,
  type MotionOptions,
  type Send,
  type SendResult,
  type SpeakOptions,
  TimeoutError,
  type Timer,
  type WaitOptions,
} from "./runtime/bot/define.ts";
export type {
  Play,
  PlayFormat,
  PlayMora,
  PlayOptions,
  PlayResult,
  PlaySource,
} from "./runtime/bot/play.ts";
export { type Refusal, RefusedError } from "./runtime/wire/types.ts";
export {
  type BotStore,
  type ChatMessage,
  type Commit,
  type Entry,
  type History,
  type ListOptions,
  StoreError,
} from "./runtime/bot/store.ts";
export { type ChatRequest, type Llm, LlmError } from "./runtime/bot/llm.ts";
export { speakLlm, type SpeakLlmOptions, type SpeakLlmResult } from "./runtime/bot/llm_speech.ts";
export {
  createTagFilter,
  parseTagMap,
  type TagAction,
  tagCommand,
  type TagMap,
  type TagPiece,
} from "./runtime/bot/tags.ts";
export type * from "./runtime/catalog/messages.gen.ts";
export type { EventView } from "./runtime/catalog/events.ts";
