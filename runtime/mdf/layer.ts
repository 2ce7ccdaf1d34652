/**
 * The `.mdf` as MMDAgent-EX ends up seeing it: an optional system file layered under the content
 * file (later wins, so content wins over system), one KeyValue store where the last occurrence of
 * a key wins, and relative paths resolved against the content file's folder (MMDAgent-EX changes
 * its working directory there before plugins start).
 */
import { dirname, isAbsolute, resolve } from "node:path";
import type { MdfEntry, MdfFile, ParseOptions } from "./read.ts";
import { readMdfFile } from "./read.ts";
import type { MdfError } from "./finding.ts";

/** The merged view of the system and content `.mdf`. */
export interface MdfDocument {
  /** The content file (the one the user runs MMDAgent-EX with). */
  content: MdfFile;
  /** The system file (`MMDAgent-EX.mdf` beside the binary), when one was given. */
  system?: MdfFile;
  /** Absolute folder of the content file: MMDAgent-EX's working directory. */
  dir: string;
  /** Key → the entry that wins (last occurrence, content over system). */
  keys: Map<string, MdfEntry>;
  /** Every entry in load order (system first), duplicates included. */
  entries: MdfEntry[];
  /** Errors of both files; a file with errors contributes no keys, as in MMDAgent-EX. */
  errors: MdfError[];
}

/**
 * Layers parsed files: the system file under the content file. `contentPath` is the content
 * file's path on disk, used for its folder (defaults to `content.file`).
 */
export function layerMdf(content: MdfFile, system?: MdfFile, contentPath?: string): MdfDocument {
  const keys = new Map<string, MdfEntry>();
  const entries: MdfEntry[] = [];
  for (const f of system ? [system, content] : [content]) {
    // MMDAgent-EX skips a file whose option pass failed: none of its keys reach the store.
    if (f.errors.length > 0) continue;
    for (const e of f.entries) {
      keys.set(e.key, e);
      entries.push(e);
    }
  }
  return {
    content,
    system,
    dir: dirname(resolve(contentPath ?? content.file)),
    keys,
    entries,
    errors: [...(system?.errors ?? []), ...content.errors],
  };
}

/** Options of {@link loadMdf}. */
export interface LoadOptions extends ParseOptions {
  /** A system `.mdf` to layer under the content file. */
  systemPath?: string;
}

/**
 * Reads the content `.mdf` (and optionally a system `.mdf`) and layers them. Throws
 * {@link MdfError} when a file cannot be read.
 *
 * @example
 * ```ts
 * const doc = await loadMdf("examples/tcp-server.mdf");
 * doc.keys.get("Plugin_Remote_ListenPort")?.value; // "50001"
 * ```
 */
export async function loadMdf(
  contentPath: string,
  options: LoadOptions = {},
): Promise<MdfDocument> {
  const system = options.systemPath ? await readMdfFile(options.systemPath, options) : undefined;
  const content = await readMdfFile(contentPath, options);
  let real = contentPath;
  try {
    // MMDAgent-EX makes command-line paths absolute with realpath, so symlinks resolve.
    real = await Deno.realPath(contentPath);
  } catch {
    // readable but not resolvable (e.g. no --allow-read on a parent): keep the plain path
  }
  return layerMdf(content, system, real);
}

/**
 * Resolves a path written in an `.mdf` value (or in a message) the way MMDAgent-EX does: relative
 * to the content file's folder.
 *
 * @example
 * ```ts
 * resolveFromContent({ dir: "/home/me/content" }, "voice/a.wav"); // "/home/me/content/voice/a.wav"
 * ```
 */
export function resolveFromContent(doc: Pick<MdfDocument, "dir">, path: string): string {
  return isAbsolute(path) ? path : resolve(doc.dir, path);
}

/** The winning value of a key after `%ENV{}` expansion, or `undefined` when the key is absent. */
export function valueOf(doc: Pick<MdfDocument, "keys">, key: string): string | undefined {
  return doc.keys.get(key)?.value;
}
