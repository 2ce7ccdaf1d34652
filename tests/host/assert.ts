/** Minimal assertions for the host tests (no Deno std: JSR is unreachable here). */

/** Throws with `msg` unless `cond` holds. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Equality through JSON (enough for the plain data these tests compare). */
export function assertEquals(actual: unknown, expected: unknown, msg = ""): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${msg ? msg + ": " : ""}expected ${e}\n  got      ${a}`);
}

/** Throws unless `text` matches `re`. */
export function assertMatch(text: string, re: RegExp, msg = ""): void {
  if (!re.test(text)) throw new Error(`${msg ? msg + ": " : ""}${JSON.stringify(text)} !~ ${re}`);
}
