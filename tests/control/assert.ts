/** Minimal assertions for the control tests (no Deno std: JSR is unreachable). */

/** Throws with `msg` unless `cond` holds. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Equality through JSON (key order normalised). */
export function assertEquals(actual: unknown, expected: unknown, msg = ""): void {
  const a = stable(actual);
  const e = stable(expected);
  if (a !== e) throw new Error(`${msg ? msg + ": " : ""}expected ${e}\n  got      ${a}`);
}

/** Asserts that `text` contains `part`. */
export function assertIncludes(text: string, part: string, msg = ""): void {
  if (!text.includes(part)) {
    throw new Error(`${msg ? msg + ": " : ""}expected to find ${JSON.stringify(part)} in\n${text}`);
  }
}

/** Asserts that `fn` rejects with a message matching `pattern`; returns the error. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  pattern: RegExp,
): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    const e = err as Error;
    if (!pattern.test(e.message)) throw new Error(`wrong error: ${e.message} (wanted ${pattern})`);
    return e;
  }
  throw new Error(`expected a rejection matching ${pattern}`);
}

function stable(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (x && typeof x === "object" && !Array.isArray(x)) {
      return Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : 1)));
    }
    return x;
  });
}

/** Polls `cond` until true (a generous bound only to catch hangs). */
export async function eventually(cond: () => boolean, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
