/**
 * Named arguments of an inbound message for `ctx.args`, computed once in the host and shipped to
 * every bot (the bot process loads no catalog data).
 *
 * Integration point: switch to `catalog/events.ts` `eventArgs(type, fields)` once it exists.
 */
import { CATALOG, type CatalogEntry } from "../catalog/messages.gen.ts";

const EMPTY: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * Maps positional fields to the catalog's field names; custom types get no names.
 *
 * @example
 * namedArgs("RECOG_EVENT_STOP", ["hello"]); // { result: "hello" }
 */
export function namedArgs(type: string, fields: readonly string[]): Record<string, string> {
  if (!Object.hasOwn(CATALOG, type)) return EMPTY;
  const entry = (CATALOG as Record<string, CatalogEntry>)[type];
  const out: Record<string, string> = {};
  entry.args.forEach((arg, i) => {
    if (i >= fields.length) return;
    out[arg.field] = arg.variadic ? fields.slice(i).join("|") : fields[i];
  });
  return out;
}
