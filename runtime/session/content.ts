/**
 * Facts about the running content that the guard needs and the wire cannot show: whether
 * MMDAgent-EX loaded a main FST at start-up (without one, `FST_LOAD`/`SUBFST_START` crash it,
 * answers.md §9). Plugin_VIManager loads the file named by the `ContentFile` key, or else the
 * content `.mdf`'s name with `.mdf` replaced by `.fst` (reference fst.md §1, plugin-remote.md Part 3).
 */
import { basename, join } from "node:path";
import { type MdfDocument, resolveFromContent, valueOf } from "../mdf/layer.ts";

/** The start-up FST file MMDAgent-EX would load for this content, when it exists. */
export function startupFst(doc: MdfDocument, mdfPath: string): string | undefined {
  const named = valueOf(doc, "ContentFile");
  const candidate = named
    ? resolveFromContent(doc, named)
    : join(doc.dir, basename(mdfPath).replace(/\.mdf$/i, "") + ".fst");
  try {
    return Deno.statSync(candidate).isFile ? candidate : undefined;
  } catch {
    return undefined;
  }
}
