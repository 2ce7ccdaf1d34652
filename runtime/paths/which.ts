/**
 * `which`: where a bare program name is found on `PATH`, as `execvp` looks it up.
 *
 * @module
 */
import { join } from "node:path";

/**
 * The first `PATH` entry holding an executable file `name`, or undefined (also without the env or
 * read permission to look). A name with a path separator is not looked up.
 *
 * @example
 * ```ts
 * import { findOnPath } from "./which.ts";
 * findOnPath("sh", "/bin:/usr/bin"); // "/bin/sh" (or "/usr/bin/sh")
 * ```
 */
export function findOnPath(
  name: string,
  path: string | undefined = env("PATH"),
): string | undefined {
  if (!path || name.includes("/") || name.includes("\\")) return undefined;
  const windows = Deno.build.os === "windows";
  const names = windows ? [name, `${name}.exe`, `${name}.cmd`] : [name];
  for (const dir of path.split(windows ? ";" : ":")) {
    for (const n of names) {
      const full = join(dir || ".", n);
      try {
        const st = Deno.statSync(full);
        if (st.isFile && (windows || ((st.mode ?? 0o111) & 0o111) !== 0)) return full;
      } catch { /* not here */ }
    }
  }
  return undefined;
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}
