/**
 * The assertions every test uses (Deno std is unreachable here: no JSR). Deep equality is Node's
 * strict one (`node:util`, built into Deno): types, Uint8Array bytes, Maps and Sets all count.
 */
import { isDeepStrictEqual } from "node:util";

/** Throws with `msg` unless `cond` holds. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? { bytes: Array.from(x) } : x)) ??
    String(v);
}

/** Deep, strict equality; the message shows both sides. */
export function assertEquals<T>(actual: T, expected: T, msg = ""): void {
  if (isDeepStrictEqual(actual, expected)) return;
  throw new Error(`${msg ? msg + ": " : ""}expected ${show(expected)}\n  got      ${show(actual)}`);
}

/** Throws unless `text` matches `re`. */
export function assertMatch(text: string, re: RegExp, msg = ""): void {
  if (!re.test(text)) throw new Error(`${msg ? msg + ": " : ""}${JSON.stringify(text)} !~ ${re}`);
}

/** Throws unless `text` contains `part`. */
export function assertIncludes(text: string, part: string, msg = ""): void {
  if (!text.includes(part)) {
    throw new Error(`${msg ? msg + ": " : ""}expected to find ${JSON.stringify(part)} in\n${text}`);
  }
}

// deno-lint-ignore no-explicit-any
type ErrorClass<E> = new (...args: any[]) => E;

function expectError<E extends Error>(error: unknown, want: ErrorClass<E> | RegExp): E {
  if (want instanceof RegExp) {
    const e = error as E;
    if (!want.test(e?.message ?? String(error))) {
      throw new Error(`wrong error: ${e?.message ?? error} (wanted ${want})`);
    }
    return e;
  }
  if (error instanceof want) return error;
  throw new Error(`expected ${want.name}, got ${error}`);
}

/** `fn` throws an instance of the class (or an error whose message matches); returns it. */
export function assertThrows<E extends Error>(fn: () => unknown, want: ErrorClass<E> | RegExp): E {
  try {
    fn();
  } catch (error) {
    return expectError(error, want);
  }
  throw new Error(`expected ${want instanceof RegExp ? want : want.name} to be thrown`);
}

/** `fn` rejects with an instance of the class (or an error whose message matches); returns it. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  want: ErrorClass<E> | RegExp,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    return expectError(error, want);
  }
  throw new Error(`expected a rejection (${want instanceof RegExp ? want : want.name})`);
}

/** Polls `cond` until true; the bound only catches hangs. */
export async function eventually(
  cond: () => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
