/**
 * How MMDAgent-EX reads a message's ARGS and values (plugin-remote.md 1.6, answers.md section 1):
 * the helpers reproduce the binary's parsing so validation agrees with it, no more and no less.
 *
 * @module
 */

/** The core keeps at most this many argument fields; more are logged and ignored. */
export const MAX_FIELDS = 10;

/**
 * Every non-empty `|` field of ARGS, as MMDAgent-EX's tokenizer skips empty ones
 * (`a||b` is `a|b`). Not truncated: compare the length with {@link MAX_FIELDS}.
 *
 * @example
 * allFields("a||b|"); // ["a", "b"]
 */
export function allFields(args: string): string[] {
  return args.split("|").filter((f) => f !== "");
}

/** The fields a handler sees: empty fields dropped, at most {@link MAX_FIELDS}. */
export function splitArgs(args: string): string[] {
  return allFields(args).slice(0, MAX_FIELDS);
}

/**
 * C `atof`: the longest leading number, 0 when there is none (`"0.5s"` → 0.5, `"abc"` → 0).
 * Hex floats, which C99's atof also reads, are approximated by their integer part.
 */
export function atof(text: string): number {
  const s = text.replace(/^[\s]+/, "");
  const hex = /^[+-]?0[xX][0-9a-fA-F]+/.exec(s);
  if (hex) return parseInt(hex[0], 16);
  const m = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(s);
  if (m) return Number(m[0]);
  if (/^[+-]?inf/i.test(s)) return s.startsWith("-") ? -Infinity : Infinity;
  return 0;
}

/**
 * Components of a comma vector as `MMDAgent_str2fvec` counts them: empty items vanish, and the
 * parse succeeds when at least `size` items exist (extra items are ignored by the binary).
 */
export function vectorItems(field: string): string[] {
  return field.split(",").filter((p) => p !== "");
}
