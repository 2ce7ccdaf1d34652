/**
 * `%ENV{NAME}` expansion exactly as MMDAgent-EX's `MMDAgent_replaceEnvDup` does it: the first
 * `%ENV{` is replaced by the variable's value (empty when unset), then the search starts again
 * from the beginning, until no `%ENV{` is left. A missing `}` is a parse error (MMDAgent-EX then
 * refuses the whole file), and a result over 2048 bytes is "too long". A value that keeps producing
 * `%ENV{` makes MMDAgent-EX loop forever at start-up; we stop and report it instead.
 */

/** Looks up an environment variable; `undefined` when unset. */
export type EnvLookup = (name: string) => string | undefined;

/** Why an expansion failed. */
export type ExpandFailure = "unterminated" | "self-reference" | "too-long";

/** The result of {@link expandEnv}. */
export type ExpandResult =
  | { ok: true; value: string; names: string[] }
  | { ok: false; reason: ExpandFailure; name?: string; names: string[] };

/** MMDAgent-EX's MMDAGENT_MAXBUFLEN. */
const MAX_BYTES = 2048;
/** Far above any legitimate nesting; only a loop that grows without bound gets here. */
const MAX_ROUNDS = 1000;
const encoder = new TextEncoder();
const byteLength = (s: string) => encoder.encode(s).length;

/** The process environment, or nothing when `--allow-env` was not granted. */
export const processEnv: EnvLookup = (name) => {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
};

/**
 * Expands every `%ENV{NAME}` in `text` the way MMDAgent-EX does.
 *
 * @example
 * ```ts
 * expandEnv("port=%ENV{P}", (n) => n === "P" ? "50001" : undefined);
 * // { ok: true, value: "port=50001", names: ["P"] }
 * ```
 */
export function expandEnv(text: string, env: EnvLookup): ExpandResult {
  const cycle = findCycle(text, env);
  if (cycle) return { ok: false, reason: "self-reference", name: cycle, names: [cycle] };
  let buf = text;
  const names: string[] = [];
  const seen = new Set<string>([text]);
  for (let round = 0;; round++) {
    const at = buf.indexOf("%ENV{");
    if (at < 0) return { ok: true, value: buf, names };
    const close = buf.indexOf("}", at + 5);
    if (close < 0) return { ok: false, reason: "unterminated", names };
    const name = buf.slice(at + 5, close);
    if (!names.includes(name)) names.push(name);
    const value = env(name);
    if (
      value !== undefined &&
      byteLength(buf) - byteLength(`%ENV{${name}}`) + byteLength(value) > MAX_BYTES
    ) {
      return { ok: false, reason: "too-long", name, names };
    }
    buf = buf.slice(0, at) + (value ?? "") + buf.slice(close + 1);
    // The same buffer twice means MMDAgent-EX would spin forever on it.
    if (seen.has(buf) || round >= MAX_ROUNDS) {
      return { ok: false, reason: "self-reference", name, names };
    }
    seen.add(buf);
  }
}

/** Names referenced as `%ENV{NAME}` in a text (only terminated ones). */
function referencedNames(text: string): string[] {
  return [...text.matchAll(/%ENV\{([^}]*)\}/g)].map((m) => m[1]);
}

/**
 * A variable whose value refers back to itself (directly or through others). MMDAgent-EX then
 * either spins forever or, when the text grows, gives up with "too long"; both are a mistake.
 */
function findCycle(text: string, env: EnvLookup): string | undefined {
  const done = new Set<string>();
  const visit = (name: string, path: string[]): string | undefined => {
    if (path.includes(name)) return name;
    if (done.has(name)) return undefined;
    const value = env(name);
    for (const next of value === undefined ? [] : referencedNames(value)) {
      const found = visit(next, [...path, name]);
      if (found) return found;
    }
    done.add(name);
    return undefined;
  };
  for (const name of referencedNames(text)) {
    const found = visit(name, []);
    if (found) return found;
  }
  return undefined;
}
