/**
 * Where mmdbot's own files are, found from this module's URL rather than the working directory:
 * MMDAgent-EX starts a Plugin_AnyScript child in the content `.mdf`'s folder, so anything resolved
 * against `Deno.cwd()` would depend on where the content lives.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";

/** The mmdbot project folder this code runs from (holds `deno.json`, `runtime/`, `bots/`). */
export const PROJECT_DIR: string = fileURLToPath(new URL("../../", import.meta.url)).replace(
  /[\\/]$/,
  "",
);

/** The CLI's entry point, as an absolute path. */
export const CLI_MAIN: string = join(PROJECT_DIR, "runtime", "cli", "main.ts");

/** The manifest every command reads when none is given: `bots/bots.yaml` of {@link PROJECT_DIR}. */
export const DEFAULT_MANIFEST: string = join(PROJECT_DIR, "bots", "bots.yaml");

/**
 * The manifest a command reads: `given` resolved against `cwd` (as a shell user expects of a path
 * they typed), or {@link DEFAULT_MANIFEST} when none was given, whatever the working directory.
 *
 * @example
 * ```ts
 * import { DEFAULT_MANIFEST, manifestPath } from "./project.ts";
 * manifestPath(undefined) === DEFAULT_MANIFEST; // true
 * manifestPath("my.yaml", "/home/me"); // "/home/me/my.yaml"
 * ```
 */
export function manifestPath(given: string | undefined, cwd: string = Deno.cwd()): string {
  return given === undefined ? DEFAULT_MANIFEST : resolve(cwd, given);
}
