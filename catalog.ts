/**
 * The MMDAgent-EX message catalog's generated types: one named-argument interface per message
 * (`SynthStartArgs`, `RecogEventStopArgs`…), the maps from message type to them
 * ({@link CommandArgsMap}, {@link EventArgsMap}), and the name unions. Kept apart from the bot
 * API so `deno doc mod.ts` shows what a bot author uses; import from here when a helper of yours
 * needs one of these types by name.
 *
 * @example Name an event's arguments in a helper
 * ```ts
 * import type { RecogEventStopArgs } from "@mmdbot/mmdbot/catalog";
 *
 * function heard(args: RecogEventStopArgs): string {
 *   return args.result.trim();
 * }
 * console.log(heard({ result: " hello " })); // "hello"
 * ```
 *
 * @module
 */
export type * from "./runtime/catalog/messages.gen.ts";
export type { EventView } from "./runtime/catalog/events.ts";
