/**
 * Turning whatever a bot throws into a report the host can show with file:line. Bot code may throw
 * anything (`throw Object.create(null)`, a Proxy whose traps throw, an object whose `toString`
 * throws, an Error whose `message` or `stack` getter throws): describing it must never throw
 * again, or the bot would die inside its own error handling. Every read of the value is guarded.
 */
import { IPC_MAX_TEXT } from "./protocol.ts";
import type { ErrorReport } from "./protocol.ts";

/**
 * Longest log message or error text a bot process hands the host (the host keeps less): short
 * enough that, even with every character JSON-escaped, it fits one IPC message.
 */
export const MAX_REPORT_CHARS = Math.floor(IPC_MAX_TEXT / 6) - 1;

/** Cuts `s` to `max` characters, marking the cut. */
export const clip = (s: string, max = MAX_REPORT_CHARS): string =>
  s.length > max ? s.slice(0, max) + "…" : s;

/** Shown when a thrown value resists every way of describing it. */
const INDESCRIBABLE = "(a thrown value that cannot be described: its every conversion threw)";

/** Marks a property whose read threw. */
const THREW = Symbol("threw");

/** Reads `key` of `value`; {@link THREW} when the read throws (a getter, a Proxy trap). */
function read(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return THREW;
  }
}

/** `value` as text, without ever throwing; undefined when no conversion works. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value === null || (typeof value !== "object" && typeof value !== "function")) {
    return String(value);
  }
  try {
    const s = String(value);
    if (typeof s === "string") return s;
  } catch {
    // No toString (null prototype), or one that throws: try the inspector next.
  }
  try {
    return Deno.inspect(value, { depth: 1, colors: false });
  } catch {
    // A Proxy can throw from every trap the inspector uses.
  }
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return undefined;
  }
}

function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false; // a Proxy whose getPrototypeOf trap throws
  }
}

/** Reports an error in a form the host can turn into file:line; never throws, whatever `error` is. */
export function reportOf(error: unknown): ErrorReport {
  try {
    if (isError(error)) {
      const name = read(error, "name");
      const message = read(error, "message");
      const report: ErrorReport = {
        name: clip((name === THREW ? undefined : textOf(name)) ?? "Error", 190),
        message: clip(
          message === THREW
            ? "(an error whose message getter threw)"
            : textOf(message) ?? INDESCRIBABLE,
        ),
      };
      const stack = read(error, "stack");
      if (stack !== undefined && stack !== THREW) {
        const text = textOf(stack);
        if (text !== undefined) report.stack = clip(text);
      }
      return report;
    }
    return { name: "Error", message: clip(textOf(error) ?? INDESCRIBABLE) };
  } catch {
    return { name: "Error", message: INDESCRIBABLE };
  }
}
