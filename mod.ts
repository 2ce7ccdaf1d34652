/**
 * mmdbot's bot API: everything a bot module needs. A bot is a folder `bots/<name>/` whose
 * `bot.ts` default-exports a bot made with {@link createBot}; `bots/bots.yaml` lists the bots that
 * run. Each bot runs in its own sandboxed process; what it sends is checked by the host (ACL, rate
 * limit, message catalog, line guard) before it reaches MMDAgent-EX.
 *
 * @example Answer what the user says (`bots/echo/bot.ts`)
 * ```ts
 * import { createBot } from "@mmdbot/mmdbot";
 *
 * export default createBot()
 *   .on("RECOG_EVENT_STOP", async (ctx) => {
 *     // Register the wait before sending, so a fast answer cannot slip past it.
 *     const done = ctx.waitFor("SYNTH_EVENT_STOP", { timeoutMs: 20_000 });
 *     await ctx.send.synthStart("mei", "mei_voice_normal", `You said ${ctx.args.result}`);
 *     await done.catch(() => ctx.log.warn("no SYNTH_EVENT_STOP: is a voice installed?"));
 *   })
 *   .hear(/^KEY\|(\w)$/, (ctx) => ctx.log.info(`key ${ctx.match![1]}`));
 * ```
 *
 * Inside this project a bot imports the API by path (`import { createBot } from "../../mod.ts"`):
 * bots run with `--no-config`, so the package name above resolves only in code that uses the
 * project's `deno.json` (tests, tools).
 *
 * @module
 */
export {
  type ArgsOf,
  type AvatarSnapshot,
  Bot,
  type BotContext,
  type BotLogger,
  type BotOptions,
  type CommandFields,
  createBot,
  type ErrorHandler,
  type Handler,
  type Hook,
  type LineCommand,
  type Message,
  type MessageContext,
  type MessageType,
  type Middleware,
  type ModelView,
  type MotionOptions,
  type Send,
  type SendResult,
  type SpeakOptions,
  type SpeechResult,
  type SpeechStatus,
  type StreamOptions,
  type Timer,
  type Turn,
  TurnEndedError,
  type WaitOptions,
  WaitTimeoutError,
} from "./runtime/bot/define.ts";
export type {
  Play,
  PlayFormat,
  PlayMora,
  PlayOptions,
  PlayResult,
  PlaySource,
} from "./runtime/bot/play.ts";
export {
  type KnownRefusalCode,
  MmdbotError,
  type Refusal,
  type RefusalCode,
  RefusedError,
} from "./runtime/errors/refusal.ts";
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
