/**
 * A typed view of inbound messages for bots. It never rejects what the wire carries: `(null)`
 * stays the text `(null)`, missing fields are `undefined`, extra fields are kept in `rest`, and
 * argument-less events (`INFOTEXT_EVENT_SHOW`) get an empty view. Pure TypeScript with no import
 * but the generated catalog, so sandboxed bot processes can load it.
 *
 * @module
 */
import { CATALOG, type EventArgsMap, type EventName } from "./messages.gen.ts";

/**
 * The named fields of a message as received: each catalog field may be missing (the wire shows
 * what MMDAgent-EX printed), and fields beyond the catalog's are in `rest`.
 */
export type EventView<N extends string> =
  & (N extends EventName ? { [K in keyof EventArgsMap[N]]?: string }
    : { [field: string]: string | string[] | undefined })
  & {
    /** Fields after the ones the catalog names (e.g. `VALUE_EVENT_GET|r|0|100`'s third). */
    rest: string[];
  };

/**
 * Names the fields of an inbound message by the catalog. For a type the catalog does not know, or
 * a command echo, the fields are named by the catalog when it has the type, else all go to `rest`.
 *
 * @example
 * ```ts
 * import { eventArgs } from "./events.ts";
 *
 * eventArgs("RECOG_EVENT_STOP", ["hello"]); // { result: "hello", rest: [] }
 * eventArgs("VALUE_EVENT_GET", ["x", "(null)"]); // { name: "x", valueOrMin: "(null)", rest: [] }
 * eventArgs("AVATAR", ["START", "extra"]); // { state: "START", rest: ["extra"] }
 * ```
 */
export function eventArgs<N extends string>(type: N, fields: readonly string[]): EventView<N> {
  const entry = Object.hasOwn(CATALOG, type)
    ? CATALOG[type as unknown as keyof typeof CATALOG]
    : undefined;
  const named = entry?.args ?? [];
  const view: Record<string, unknown> = {};
  named.forEach((a, i) => {
    view[a.field] = i < fields.length ? fields[i] : undefined;
  });
  view.rest = fields.slice(named.length);
  return view as EventView<N>;
}

/**
 * Splits inbound ARGS into fields as they appear on the wire: on every `|`, keeping empty fields
 * (MMDAgent-EX prints what it has, so an empty field is information, unlike on the command side).
 */
export function wireFields(args: string | undefined): string[] {
  return args === undefined || args === "" ? [] : args.split("|");
}
