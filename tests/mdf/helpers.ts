/** Shared helpers for the `.mdf` tests: parse text as a file, load it into a document. */
import { parseMdf } from "../../runtime/mdf/read.ts";
import { layerMdf, type MdfDocument } from "../../runtime/mdf/layer.ts";
import type { EnvLookup } from "../../runtime/mdf/expand_env.ts";

const enc = new TextEncoder();

/** An environment from a plain object (unset names → undefined). */
export function envOf(vars: Record<string, string>): EnvLookup {
  return (name) => Object.hasOwn(vars, name) ? vars[name] : undefined;
}

/** Parses `text` (a string or raw bytes) as the content file `t.mdf` and layers it alone. */
export function docOf(
  text: string | Uint8Array,
  vars: Record<string, string> = {},
  file = "t.mdf",
): MdfDocument {
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  return layerMdf(parseMdf(bytes, file, { env: envOf(vars) }), undefined, `/content/${file}`);
}
