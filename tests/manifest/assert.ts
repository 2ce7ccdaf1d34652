/**
 * The few assertions the manifest and sandbox tests need (no Deno std here: JSR is unreachable).
 * Deep equality comes from Node's built-in `node:assert`, which Deno ships.
 */
import { deepStrictEqual } from "node:assert/strict";

/** Throws when `condition` is falsy. */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new Error(message);
}

/** Deep, strict equality with a readable diff. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  if (message === undefined) deepStrictEqual(actual, expected);
  else deepStrictEqual(actual, expected, message);
}

/** `text` matches `pattern`. */
export function assertMatch(text: string, pattern: RegExp, message?: string): void {
  if (!pattern.test(text)) {
    throw new Error(message ?? `expected ${JSON.stringify(text)} to match ${pattern}`);
  }
}

// deno-lint-ignore no-explicit-any
type ErrorClass<E> = new (...args: any[]) => E;

/** `fn` throws an instance of `type`; returns it. */
export function assertThrows<E extends Error>(fn: () => unknown, type: ErrorClass<E>): E {
  try {
    fn();
  } catch (error) {
    if (error instanceof type) return error;
    throw new Error(`expected ${type.name}, got ${error}`);
  }
  throw new Error(`expected ${type.name} to be thrown`);
}

/** `fn` rejects with an instance of `type`; returns it. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  type: ErrorClass<E>,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof type) return error;
    throw new Error(`expected ${type.name}, got ${error}`);
  }
  throw new Error(`expected ${type.name} to be rejected`);
}
