/** Minimal assertions for the transport tests (no Deno std here: JSR is unreachable). */

/** Throws with `msg` unless `cond` holds. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Deep equality through a stable JSON form (Uint8Arrays compared byte for byte). */
export function assertEquals(actual: unknown, expected: unknown, msg = ""): void {
  const a = stable(actual);
  const e = stable(expected);
  if (a !== e) throw new Error(`${msg ? msg + ": " : ""}expected ${e}\n  got      ${a}`);
}

function stable(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (x instanceof Uint8Array) return { bytes: Array.from(x) };
    if (x && typeof x === "object" && !Array.isArray(x)) {
      return Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : 1)));
    }
    return x;
  });
}
