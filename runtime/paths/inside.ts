/**
 * The one "is this path inside that folder" test, on resolved paths (no string prefix tricks:
 * `/a/bc` is not inside `/a/b`).
 *
 * @module
 */
import { isAbsolute, relative, resolve } from "node:path";

/**
 * Whether `path` lies below `dir` (`orSame`: or is `dir` itself). Both are resolved first;
 * symbolic links are not followed.
 *
 * @example
 * ```ts
 * import { isInside } from "./inside.ts";
 * isInside("/a/b/c.ts", "/a/b"); // true
 * isInside("/a/bc", "/a/b"); // false
 * isInside("/a/b", "/a/b", { orSame: true }); // true
 * ```
 */
export function isInside(path: string, dir: string, options: { orSame?: boolean } = {}): boolean {
  const rel = relative(resolve(dir), resolve(path));
  if (rel === "") return options.orSame === true;
  return rel !== ".." && !rel.startsWith(`..${sepOf(rel)}`) && !isAbsolute(rel);
}

function sepOf(rel: string): string {
  return rel.includes("\\") && !rel.includes("/") ? "\\" : "/";
}
