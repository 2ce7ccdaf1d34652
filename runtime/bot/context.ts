/**
 * Where a bot's contexts are built: the base context every hook gets, and each message's context
 * (the message's fields on top of the base, by prototype, so building one costs one object).
 *
 * A feature (speech and turns, the store, audio) adds to every context through
 * {@link BotFeature.context} (properties, getters included, copied onto the base; a feature may
 * replace a base property such as `speak`) and to each message's context through
 * {@link BotFeature.onMessage} (e.g. `ctx.turn` from a field the host put on the message).
 */
import type { HostToBot } from "./protocol.ts";
import type { BotContext, Message, MessageContext } from "./define.ts";

/** The host's message as it arrives. */
export type HostMessage = Extract<HostToBot, { t: "message" }>;

/** A bot-side feature: what it adds to contexts, and the host messages it handles. */
export interface BotFeature {
  /** Properties added to every context (descriptors copied, so getters stay getters). */
  context?: object;
  /** Adds per-message values to a message's context before any handler sees it. */
  onMessage?(ctx: MessageContext, msg: HostMessage): void;
  /** Handlers of this feature's own host → bot message types (by `t`). */
  receive?: Partial<Record<string, (msg: HostToBot) => void>>;
}

/** Context properties only features provide (the engine's own parts leave them out). */
export type FeatureProvided =
  | "store"
  | "llm"
  | "play"
  | "speak"
  | "speakStream"
  | "avatar"
  | "turn"
  | "background";

/** The base context: `parts` first, then each feature's additions. */
export function createBaseContext(
  parts: Omit<BotContext<unknown>, FeatureProvided>,
  features: readonly BotFeature[],
): BotContext<unknown> {
  const base = parts as BotContext<unknown>;
  for (const f of features) {
    if (f.context) Object.defineProperties(base, Object.getOwnPropertyDescriptors(f.context));
  }
  return base;
}

/** A message as a bot sees it. */
export function messageOf(m: HostMessage): Message {
  return {
    line: m.line,
    type: m.type,
    fields: m.fields,
    args: m.args as Message["args"],
    isEcho: m.echo !== null,
    echoOf: m.echo?.by,
    connection: m.connection,
  };
}

/** The context of one message: the message over the base context, then features' values. */
export function messageContext(
  base: BotContext<unknown>,
  message: Message,
  msg: HostMessage,
  features: readonly BotFeature[],
): MessageContext {
  const ctx = Object.assign(Object.create(base), message, { match: null }) as MessageContext;
  for (const f of features) f.onMessage?.(ctx, msg);
  return ctx;
}
